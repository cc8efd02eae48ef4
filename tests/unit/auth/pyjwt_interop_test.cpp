// Interop with an independent implementation: PyJWT (with `cryptography`)
// signs tokens that herald_auth verifies, and verifies tokens herald_auth
// signed, for HS256, RS256 and ES256 (where PyJWT converts R || S to DER
// itself). Skipped when /usr/bin/python3 lacks the `jwt` module; nothing is
// installed for it.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "herald/auth/claims.hpp"
#include "herald/auth/token_verifier.hpp"
#include "token_support.hpp"

namespace herald::auth {
namespace {

using namespace test;

constexpr const char* kPython = "/usr/bin/python3";

// Signs with PyJWT: prints one token per algorithm. Then verifies each line
// of tokens.txt with PyJWT, printing "ok <alg> <sub>" or "bad <alg> <error>".
constexpr const char* kScript = R"PY(
import sys, jwt
d = sys.argv[1]
read = lambda n: open(d + "/" + n).read()
keys = {"HS256": (read("secret"), read("secret")),
        "RS256": (read("rsa.key"), read("rsa.pub")),
        "ES256": (read("ec.key"), read("ec.pub"))}
claims = {"sub": "py-user", "exp": 1700000100, "info": {"n": "\u00e9"}, "channels": ["a", "b"]}
if sys.argv[2] == "sign":
    for alg, (priv, _) in keys.items():
        print(alg, jwt.encode(claims, priv, algorithm=alg))
else:
    for line in open(d + "/tokens.txt"):
        alg, token = line.split()
        try:
            got = jwt.decode(token, keys[alg][1], algorithms=[alg], options={"verify_exp": False})
            print("ok", alg, got["sub"], got.get("channels"))
        except Exception as e:
            print("bad", alg, type(e).__name__)
)PY";

class PyJwtInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // scripts/install-deps.sh installs them (python3-jwt, python3-cryptography):
    // without them this cross-check fails rather than silently not running.
    ASSERT_EQ(std::system("/usr/bin/python3 -c 'import jwt, cryptography' >/dev/null 2>&1"), 0)
        << "python3 with PyJWT and cryptography is missing: run scripts/install-deps.sh";
    char tmpl[] = "/tmp/herald-pyjwt-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    write("secret", std::string(kSecret));
    write("rsa.key", rsaKeys().privatePem);
    write("rsa.pub", rsaKeys().publicPem);
    write("ec.key", ecKeys().privatePem);
    write("ec.pub", ecKeys().publicPem);
    write("script.py", kScript);
  }

  void TearDown() override {
    if (dir_.empty()) return;
    for (const char* f : {"secret", "rsa.key", "rsa.pub", "ec.key", "ec.pub", "script.py", "tokens.txt"})
      std::remove((dir_ + "/" + f).c_str());
    rmdir(dir_.c_str());
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }

  // The script's output, line by line.
  std::vector<std::string> run(const char* mode) {
    const std::string cmd = std::string(kPython) + " " + dir_ + "/script.py " + dir_ + " " + mode;
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << out;
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::string dir_;
};

TEST_F(PyJwtInteropTest, VerifiesTokensPyJwtSigned) {
  const std::vector<std::string> lines = run("sign");
  ASSERT_EQ(lines.size(), 3u);
  for (const std::string& line : lines) {
    const std::string alg = line.substr(0, line.find(' '));
    const std::string token = line.substr(line.find(' ') + 1);
    const VerifyResult r = verifierWithAllKeys().verifyConnectToken(token, kNow);
    ASSERT_TRUE(r.ok()) << alg << ": " << r.reason;
    EXPECT_EQ(algorithmName(*r.algorithm), alg);
    EXPECT_EQ(r.claims.sub, "py-user");
    EXPECT_EQ(r.claims.exp, 1700000100);
    EXPECT_EQ(r.claims.channels, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(r.claims.info, R"({"n":"\u00e9"})");  // PyJWT writes ASCII-only JSON
    // And a tampered copy fails here too.
    std::string bad = token;
    bad[bad.size() / 2] = bad[bad.size() / 2] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verifierWithAllKeys().verifyConnectToken(bad, kNow).ok()) << alg;
  }
}

TEST_F(PyJwtInteropTest, PyJwtVerifiesTokensWeSigned) {
  ClaimsSpec spec;
  spec.sub = "herald-user";
  spec.exp = 1700000100;
  spec.channels = {"x"};
  const std::string claims = buildClaimsJson(spec);
  std::string tokens;
  for (Algorithm alg : {Algorithm::HS256, Algorithm::RS256, Algorithm::ES256})
    for (int i = 0; i < 3; ++i) tokens += std::string(algorithmName(alg)) + " " + mint(alg, claims) + "\n";
  // A forged one PyJWT must refuse as well.
  Parts forged = split(mint(Algorithm::ES256, claims));
  forged.payload = base64UrlEncode(R"({"sub":"admin"})");
  tokens += "ES256 " + join(forged) + "\n";
  write("tokens.txt", tokens);

  const std::vector<std::string> lines = run("verify");
  ASSERT_EQ(lines.size(), 10u);
  for (std::size_t i = 0; i < 9; ++i) EXPECT_EQ(lines[i].substr(lines[i].find(' ', 3)), " herald-user ['x']") << lines[i];
  EXPECT_EQ(lines[9].substr(0, 9), "bad ES256") << lines[9];
}

}  // namespace
}  // namespace herald::auth
