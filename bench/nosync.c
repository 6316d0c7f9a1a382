/* LD_PRELOAD shim for make bench's durability row: fsync and fdatasync
 * return at once, so that an open with and without them can be compared. */
int fsync(int fd);
int fdatasync(int fd);

int fsync(int fd)
{
    (void)fd;
    return 0;
}

int fdatasync(int fd)
{
    (void)fd;
    return 0;
}
