/* Process start + loading libcurl and its shared dependencies: what every
 * local-key process would pay if libenvelope linked libcurl instead of
 * loading it at the first KMS call
 * (docs/DESIGN.md, "libcurl and libxml2, loaded at first use"). Declared
 * by hand so that no curl headers are needed. */
extern char *curl_version(void);

int main(void)
{
    return curl_version() ? 0 : 1;
}
