/* Whole-file reading and atomic replacement. */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"

duet_status duet_read_text_file(const char *path, size_t max_bytes, char **out, size_t *len,
                                duet_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return duet_error_set(err, errno == ENOENT ? DUET_ENOTFOUND : DUET_EIO,
                              "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return duet_error_set(err, DUET_EIO, "%s is not a regular file", path);
    }
    if ((size_t)sb.st_size > max_bytes) {
        fclose(f);
        return duet_error_set(err, DUET_ELIMIT, "%s has %lld bytes, more than the limit of %zu",
                              path, (long long)sb.st_size, max_bytes);
    }
    size_t size = (size_t)sb.st_size;
    char *text = duet_malloc(size + 1);
    if (text == NULL) {
        fclose(f);
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", path);
    }
    size_t got = fread(text, 1, size, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || got != size) {
        duet_free(text);
        return duet_error_set(err, DUET_EIO, "cannot read %s: %s", path,
                              failed ? strerror(errno) : "file changed while reading");
    }
    text[size] = '\0';
    *out = text;
    *len = size;
    return DUET_OK;
}

void duet_path_dirname(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

duet_status duet_sync_parent_dir(const char *path, duet_error *err)
{
    char dir[4096];
    duet_path_dirname(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return duet_error_set(err, DUET_EIO, "cannot open folder %s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0 && saved != EINVAL)
        return duet_error_set(err, DUET_EIO, "cannot flush folder %s: %s", dir, strerror(saved));
    return DUET_OK;
}

duet_status duet_write_file_atomic(const char *path, const void *data, size_t len, duet_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return duet_error_set(err, DUET_EINVAL, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return duet_error_set(err, DUET_EIO, "cannot create %s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = errno;
            close(fd);
            unlink(tmp);
            return duet_error_set(err, DUET_EIO, "cannot write %s: %s", tmp, strerror(saved));
        }
        p += n;
        left -= (size_t)n;
    }
    int synced = fsync(fd);
    int saved = errno;
    if (close(fd) != 0 && synced == 0) {
        synced = -1;
        saved = errno;
    }
    if (synced != 0) {
        unlink(tmp);
        return duet_error_set(err, DUET_EIO, "cannot flush %s: %s", tmp, strerror(saved));
    }
    if (rename(tmp, path) != 0) {
        saved = errno;
        unlink(tmp);
        return duet_error_set(err, DUET_EIO, "cannot rename %s to %s: %s", tmp, path,
                              strerror(saved));
    }
    return duet_sync_parent_dir(path, err);
}
