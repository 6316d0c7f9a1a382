/* What libenvelope's dependencies cost at start-up, without libenvelope:
 * libcrypto (initialised), json-c and libarchive, linked either as the
 * library links them (all shared) or with a static, tar-only libarchive
 * (see archive_only.c). The difference is what a tar-only libarchive would
 * save every envelope process. */
#include <archive.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

extern void *const tar_refs[];

int main(int argc, char **argv)
{
    (void)argv;
    if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
        return 1;
    if (argc > 1000) /* never: keeps the tar code linked */
        return tar_refs[0] != 0;
    return json_c_version_num() > 0 && archive_version_number() > 0 ? 0 : 1;
}
