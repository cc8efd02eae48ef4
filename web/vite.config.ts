// A multi-page build: index.html (the chat, served at /), dashboard.html
// and admin.html (served at /dashboard and /admin by herald's clean URLs;
// /admin only with [admin] enabled). `npm run dev` proxies the
// server's endpoints to a `make run` server on 127.0.0.1:8080.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const server = 'http://127.0.0.1:8080';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: {
        chat: resolve(import.meta.dirname, 'index.html'),
        dashboard: resolve(import.meta.dirname, 'dashboard.html'),
        admin: resolve(import.meta.dirname, 'admin.html'),
      },
    },
  },
  server: {
    proxy: {
      '/connection': { target: server.replace('http', 'ws'), ws: true },
      '/demo': server,
      '/api': server,
      '/admin/auth': server,
      '/admin/api': server,
    },
  },
});
