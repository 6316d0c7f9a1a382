/* Process start + loading libenvelope.so and everything it links; with
 * INIT, OpenSSL's initialisation too. */
#include <envelope.h>
#ifdef INIT
#include <openssl/crypto.h>
#endif

int main(void)
{
#ifdef INIT
    if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
        return 1;
#endif
    return envelope_version_number() == ENVELOPE_VERSION_NUMBER ? 0 : 1;
}
