#pragma once
// Keys for the auth tests, generated when the test binary first asks for
// them (no private key is committed). Each kind is made once per process:
// RSA key generation takes a noticeable fraction of a second.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>
#include <string>

namespace herald::auth::test {

struct KeyPair {
  std::string privatePem;  // PKCS#8 "PRIVATE KEY"
  std::string publicPem;   // SubjectPublicKeyInfo "PUBLIC KEY"
};

inline std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A key from EVP_PKEY_Q_keygen: ("RSA", bits) or ("EC", curve name).
template <typename Arg>
KeyPair makeKeyPair(const char* type, Arg arg) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, type, arg);
  if (!key) throw std::runtime_error("key generation failed");
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  if (!PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr) ||
      !PEM_write_bio_PUBKEY(pub, key))
    throw std::runtime_error("PEM writing failed");
  KeyPair pair{bioText(priv), bioText(pub)};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return pair;
}

inline const KeyPair& rsaKeys() {
  static const KeyPair keys = makeKeyPair("RSA", std::size_t{2048});
  return keys;
}

inline const KeyPair& otherRsaKeys() {
  static const KeyPair keys = makeKeyPair("RSA", std::size_t{2048});
  return keys;
}

inline const KeyPair& ecKeys() {
  static const KeyPair keys = makeKeyPair("EC", "P-256");
  return keys;
}

inline const KeyPair& otherEcKeys() {
  static const KeyPair keys = makeKeyPair("EC", "P-256");
  return keys;
}

}  // namespace herald::auth::test
