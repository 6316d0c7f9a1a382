/* Process start + loading libarchive and its shared dependencies: built
 * against the shared library, or (tar_static) against libarchive.a with
 * --gc-sections, which keeps only what the tar calls of tar_refs.c need. */
#include <archive.h>

extern void *const tar_refs[];

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1000) /* never: keeps the tar code linked */
        return tar_refs[0] != 0;
    return archive_version_number() > 0 ? 0 : 1;
}
