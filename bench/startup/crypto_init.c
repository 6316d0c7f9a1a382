/* Process start + loading libcrypto + OpenSSL's initialisation (with the
 * configuration file, as the first EVP call does). */
#include <openssl/crypto.h>

int main(void)
{
    return OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) == 1 ? 0 : 1;
}
