// wss:// on the same engine: certificates made at test time with the openssl
// CLI (tests/support/make_certs.sh), Herald's client and a raw OpenSSL client.

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "herald/engine/blocking_client.hpp"
#include "raw_client.hpp"
#include "test_server.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using test::RawClient;
using test::TestServer;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("herald-tls-" + std::to_string(::getpid()));
    std::string cmd = std::string(HERALD_MAKE_CERTS) + " " + dir_.string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
  static std::string file(const char* name) { return (dir_ / name).string(); }

  static void configure(App& app) {
    app.ws("/", {.message = [](WebSocket& ws, std::string_view m, ws::Opcode op) { ws.send(m, op); },
                 .maxMessageBytes = 2 * 1024 * 1024});
  }
  static std::string wss(std::uint16_t port, const std::string& host = "127.0.0.1") {
    return "wss://" + host + ":" + std::to_string(port) + "/";
  }
  static std::string connectError(const std::string& url, ClientOptions options) {
    BlockingClient c;
    try {
      c.connect(url, std::move(options), {}, 3s);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }

  static inline std::filesystem::path dir_;
};

TEST_F(TlsTest, EchoOverWssWithTheTrustedCa) {
  TestServer server({.threads = 2}, configure);
  std::uint16_t port = server.app().listenTls("127.0.0.1", 0, file("server.pem"), file("server.key"));
  BlockingClient c;
  c.connect(wss(port), {.caFile = file("ca.pem")}, {.maxMessageBytes = 2 * 1024 * 1024});
  for (std::size_t n : {0u, 1u, 126u, 65536u, 1024u * 1024}) {
    std::string text(n, 'z');
    c.send(text);
    auto m = c.receive(5s);
    ASSERT_TRUE(m) << n;
    EXPECT_EQ(m->payload, text);
  }
  EXPECT_EQ(c.close(1000).code, 1000);
}

TEST_F(TlsTest, HostNameIsVerified) {
  TestServer server({.threads = 1}, configure);
  std::uint16_t port = server.app().listenTls("127.0.0.1", 0, file("server.pem"), file("server.key"));
  EXPECT_EQ(connectError(wss(port, "localhost"), {.caFile = file("ca.pem")}), "");
  std::uint16_t other = server.app().listenTls("127.0.0.2", 0, file("server.pem"), file("server.key"));
  std::string error = connectError(wss(other, "127.0.0.2"), {.caFile = file("ca.pem")});
  EXPECT_NE(error.find("mismatch"), std::string::npos) << error;
}

TEST_F(TlsTest, PlainAndTlsListenersSideBySide) {
  TestServer server({.threads = 1}, configure);
  std::uint16_t tlsPort = server.app().listenTls("127.0.0.1", 0, file("server.pem"), file("server.key"));
  BlockingClient plain, secure;
  plain.connect("ws://127.0.0.1:" + std::to_string(server.port()) + "/");
  secure.connect(wss(tlsPort), {.caFile = file("ca.pem")});
  plain.send("plain");
  secure.send("secure");
  EXPECT_EQ(plain.receive(3s)->payload, "plain");
  EXPECT_EQ(secure.receive(3s)->payload, "secure");
}

TEST_F(TlsTest, ExpiredCertificateIsRefusedWithAReadableError) {
  TestServer server({.threads = 1}, configure);
  std::uint16_t port = server.app().listenTls("127.0.0.1", 0, file("expired.pem"), file("expired.key"));
  std::string error = connectError(wss(port), {.caFile = file("ca.pem")});
  EXPECT_NE(error.find("certificate has expired"), std::string::npos) << error;
}

TEST_F(TlsTest, UntrustedCertificateIsRefusedWithAReadableError) {
  TestServer server({.threads = 1}, configure);
  std::uint16_t port = server.app().listenTls("127.0.0.1", 0, file("selfsigned.pem"), file("selfsigned.key"));
  std::string error = connectError(wss(port), {.caFile = file("ca.pem")});
  EXPECT_NE(error.find("certificate verification failed"), std::string::npos) << error;
  // And accepted when verification is explicitly off.
  EXPECT_EQ(connectError(wss(port), {.verifyCertificate = false}), "");
}

TEST_F(TlsTest, MissingCertificateFileIsAReadableStartupError) {
  App app({.threads = 1, .handleSignals = false});
  try {
    app.listenTls("127.0.0.1", 0, file("nope.pem"), file("server.key"));
    FAIL() << "no exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("nope.pem"), std::string::npos) << e.what();
  }
}

TEST_F(TlsTest, PlaintextToTheTlsPortIsClosedAndTheServerCarriesOn) {
  TestServer server({.threads = 1}, configure);
  std::uint16_t port = server.app().listenTls("127.0.0.1", 0, file("server.pem"), file("server.key"));
  {
    RawClient raw(port);
    raw.sendBytes(RawClient::request("/", "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"));
    EXPECT_TRUE(raw.waitForEof(3s));
  }
  BlockingClient c;
  c.connect(wss(port), {.caFile = file("ca.pem")});
  c.send("still serving");
  EXPECT_EQ(c.receive(3s)->payload, "still serving");
}

TEST_F(TlsTest, SilentTlsClientIsClosedAtTheHandshakeDeadline) {
  TestServer server({.threads = 1, .handshakeTimeout = std::chrono::seconds(1)}, configure);
  std::uint16_t port = server.app().listenTls("127.0.0.1", 0, file("server.pem"), file("server.key"));
  RawClient raw(port);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(raw.waitForEof(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(TlsTest, MessageLimitAppliesOverTls) {
  TestServer server({.threads = 1}, [](App& app) { app.ws("/", {.maxMessageBytes = 1000}); });
  std::uint16_t port = server.app().listenTls("127.0.0.1", 0, file("server.pem"), file("server.key"));
  BlockingClient c;
  c.connect(wss(port), {.caFile = file("ca.pem")});
  c.send(std::string(1001, 'x'));
  auto status = c.waitClosed(3s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 1009);
}

// Both protocol versions, from a plain OpenSSL client pinned to each.
TEST_F(TlsTest, ServesTls12AndTls13) {
  TestServer server({.threads = 1}, configure);
  std::uint16_t port = server.app().listenTls("127.0.0.1", 0, file("server.pem"), file("server.key"));
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, version);
    SSL_CTX_set_max_proto_version(ctx, version);
    SSL_CTX_load_verify_locations(ctx, file("ca.pem").c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    RawClient raw(port);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, raw.fd());
    ASSERT_EQ(SSL_connect(ssl), 1) << "version " << version;
    EXPECT_EQ(SSL_version(ssl), version);
    std::string req = RawClient::request("/", "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
    SSL_write(ssl, req.data(), static_cast<int>(req.size()));
    char buf[512];
    int n = SSL_read(ssl, buf, sizeof buf);
    ASSERT_GT(n, 12);
    EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 101");
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
}

}  // namespace
}  // namespace herald
