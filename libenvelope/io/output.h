/* Outputs that appear whole and checked, or not at all
 * (docs/DESIGN.md, "Outputs appear whole, or not at all"). */
#ifndef ENVELOPE_OUTPUT_H
#define ENVELOPE_OUTPUT_H

#include "envelope.h"

/* A file being written under no name (O_TMPFILE) or a 0600 temporary name
 * in the destination's directory, linked into place by out_file_commit. */
struct out_file {
    int fd;
    char *path;     /* the destination */
    char *tmp_path; /* NULL with O_TMPFILE */
};

/* Unnamed where path's file system has O_TMPFILE, else a temporary name. */
envelope_rc out_file_begin(envelope_ctx *ctx, struct out_file *f, const char *path, int force);
/* Unnamed only: where the file system lacks O_TMPFILE, f->fd stays -1 and
 * nothing is created (see out_unnamed_beside). */
envelope_rc out_file_begin_unnamed(envelope_ctx *ctx, struct out_file *f, const char *path,
                                   int force);
/* Under the 0600 temporary name path + ".<16 hex>.tmp" beside path: for
 * bytes already verified only. */
envelope_rc out_file_begin_named(envelope_ctx *ctx, struct out_file *f, const char *path,
                                 int force);
/* An unnamed 0600 file in path's directory into *fd; -1 where the file
 * system lacks O_TMPFILE but the directory is writable. Anything else that
 * keeps the output from being made there is an error, before any input is
 * read. */
envelope_rc out_unnamed_beside(envelope_ctx *ctx, const char *path, int *fd);
/* Flushes the file, gives it its name, then flushes the directory unless
 * sync_dir is 0. */
envelope_rc out_file_commit(envelope_ctx *ctx, struct out_file *f, int force, int sync_dir);
/* fsync, for a file about to get its name (path names it in errors). */
envelope_rc out_sync(envelope_ctx *ctx, int fd, const char *path);
/* Closes, and removes whatever was written. Safe after commit and twice. */
void out_file_abort(struct out_file *f);

/* An unnamed 0600 file under $TMPDIR (or /tmp) for spooling. */
envelope_rc spool_open(envelope_ctx *ctx, int *fd);
/* The directory spool_open uses: $TMPDIR, or /tmp. */
const char *spool_dir(void);

/* A directory filled under a temporary name beside its destination and
 * renamed into place by out_dir_commit, which never replaces anything. */
struct out_dir {
    char *path;
    char *tmp_path;
    int dir_fd;
};

envelope_rc out_dir_begin(envelope_ctx *ctx, struct out_dir *d, const char *path);
/* Creates a 0600 file in the directory. */
envelope_rc out_dir_create(envelope_ctx *ctx, struct out_dir *d, const char *name, int *fd);
/* Flushes the directory, renames it into place, then flushes its parent
 * unless sync_parent is 0. */
envelope_rc out_dir_commit(envelope_ctx *ctx, struct out_dir *d, int sync_parent);
void out_dir_abort(struct out_dir *d);



/* Copies from's current position to its end into a write callback; *n
 * counts bytes. where names the destination in errors (may be NULL). */
envelope_rc copy_to_cb(envelope_ctx *ctx, int from, envelope_write_fn write, void *arg,
                       const char *where, uint64_t *n);
/* Gives the unnamed message file fd (on the same file system) its name in
 * the directory. */
envelope_rc out_dir_name_message(envelope_ctx *ctx, struct out_dir *d, int fd, const char *name);
#endif
