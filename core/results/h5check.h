/*
 * Checks of an HDF5 file's raw bytes made before the HDF5 library parses it, for corruptions
 * that make HDF5 1.10 hang or crash instead of returning an error.
 */
#ifndef DUET_H5CHECK_H
#define DUET_H5CHECK_H

#include "util/error.h"

/*
 * Walks every global heap collection ("GCOL", where HDF5 keeps variable-length strings) of the
 * file at path the way HDF5 1.10.8 decodes it, and fails with DUET_EFORMAT when an entry would
 * make that decoder loop forever (a free-space entry of size 0) or when the file uses lengths
 * other than 8 bytes, which the walk does not decode. DUET_EIO when the file cannot be read.
 */
duet_status duet_h5_check_heaps(const char *path, duet_error *err);

#endif
