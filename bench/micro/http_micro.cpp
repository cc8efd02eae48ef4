// Micro-benchmarks of the opening handshake (include/herald/http,
// include/herald/ws/handshake.hpp): parsing a browser's upgrade request, and
// parsing plus answering it with the 101 (SHA-1, base64, response head).
//
//   build/release/bench/micro/bench_http_micro

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "herald/http/request.hpp"
#include "herald/http/request_parser.hpp"
#include "herald/ws/handshake.hpp"

namespace {

using herald::http::ParseResult;
using herald::http::Request;
using herald::http::RequestParser;

// What a desktop browser sends, permessage-deflate offer included (~560 bytes).
constexpr std::string_view kUpgradeRequest =
    "GET /connection/websocket?format=json HTTP/1.1\r\n"
    "Host: chat.example.com\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36\r\n"
    "Upgrade: websocket\r\n"
    "Origin: https://chat.example.com\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n"
    "Cookie: session=4f1c2a9e0b7d4e63a8f5; theme=dark\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "\r\n";

// The whole head in one read.
void BM_RequestParse(benchmark::State& state) {
  RequestParser parser;
  Request request;
  for (auto _ : state) {
    parser.reset();
    ParseResult r = parser.parse(kUpgradeRequest, request);
    if (r.kind != ParseResult::Complete) {
      state.SkipWithError(r.reason);
      break;
    }
    benchmark::DoNotOptimize(request.headers.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kUpgradeRequest.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RequestParse);

// The head in two reads split in the middle: the second parse() call must
// not scan again what the first one already looked at.
void BM_RequestParseTwoReads(benchmark::State& state) {
  RequestParser parser;
  Request request;
  const std::string_view firstHalf = kUpgradeRequest.substr(0, kUpgradeRequest.size() / 2);
  for (auto _ : state) {
    parser.reset();
    ParseResult r = parser.parse(firstHalf, request);
    benchmark::DoNotOptimize(r.kind);
    r = parser.parse(kUpgradeRequest, request);
    if (r.kind != ParseResult::Complete) {
      state.SkipWithError(r.reason);
      break;
    }
    benchmark::DoNotOptimize(request.headers.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kUpgradeRequest.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RequestParseTwoReads);

// Parse, then check the request and build the 101 (no extension configured,
// so the deflate offer is read past, as by a server without compression).
void BM_UpgradeHandshake(benchmark::State& state) {
  RequestParser parser;
  Request request;
  const herald::ws::HandshakeOptions options;
  for (auto _ : state) {
    parser.reset();
    ParseResult r = parser.parse(kUpgradeRequest, request);
    herald::ws::HandshakeResult h = herald::ws::acceptHandshake(request, options);
    if (r.kind != ParseResult::Complete || !h.accepted) {
      state.SkipWithError("handshake refused");
      break;
    }
    benchmark::DoNotOptimize(h.response.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_UpgradeHandshake);

}  // namespace
