/*  unzip.h - read a data file that may be a zip archive of one member, as data.binance.vision
 *  serves its kline CSVs (BTCUSDT-1m-2025-11-03.zip holding BTCUSDT-1m-2025-11-03.csv): the
 *  first member is inflated as it is read (stored or deflate), so the caller reads lines of
 *  the CSV as from the plain file. The member's CRC-32 is checked at its end when the local
 *  header carries it (a mismatch is a read error, EIO).
 *  Owns:  the returned stream (fclose it; the archive is closed with it).
 *  Not:   archives of several members (only the first is read), encryption, zip64, methods
 *         other than stored and deflate (refused: ENOTSUP).
 */
#ifndef TP_UNZIP_H
#define TP_UNZIP_H

#include <stdbool.h>
#include <stdio.h>

/* True if the file at path starts with a zip local file header ("PK\3\4"). */
bool unzip_is_zip(const char *path);

/* Open path for reading text: a zip archive's first member, inflated on the fly, else the
 * file itself (fopen "r"). NULL with errno (the open's, ENOTSUP for a member we cannot read,
 * EINVAL for a damaged header, ENOMEM). When `member` is not NULL it receives the member's
 * name (or "" for a plain file), cap bytes at most. */
FILE *unzip_open(const char *path, char *member, size_t cap);

#endif /* TP_UNZIP_H */
