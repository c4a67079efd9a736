/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: encrypts or decrypts standard input to standard output in dm-crypt sectors with a
 * known volume key, through unlock's own cipher module. Builds encrypted test disks on a host
 * without device-mapper, and checks decrypted payloads of reference images.
 *   sector-crypt encrypt|decrypt CIPHER-SPEC KEY-FILE SECTOR-SIZE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/cipher.h"
#include "open/keyfile.h"

static int read_full(uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(STDIN_FILENO, buf + done, len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return (int)done;
}

int main(int argc, char **argv)
{
	struct sector_cipher *cipher = NULL;
	struct secret *key = NULL;
	size_t sector_size, chunk;
	uint64_t iv_sector = 0;
	uint8_t *buf;
	int n;

	if (argc != 5 || (strcmp(argv[1], "encrypt") && strcmp(argv[1], "decrypt"))) {
		fprintf(stderr, "usage: sector-crypt encrypt|decrypt CIPHER-SPEC KEY-FILE SECTOR-SIZE\n");
		return 1;
	}
	sector_size = (size_t)strtoul(argv[4], NULL, 10);
	chunk = sector_size * 256;
	if (keyfile_read(argv[3], 0, KEYFILE_SIZE_ALL, &key) < 0 ||
	    sector_cipher_new(&cipher, argv[2], key->data, key->len, strcmp(argv[1], "encrypt") == 0) < 0)
		return 1;
	buf = malloc(chunk);
	while (buf && (n = read_full(buf, chunk)) > 0) {
		if ((size_t)n % sector_size || sector_cipher_run(cipher, buf, (size_t)n, iv_sector, sector_size) < 0 ||
		    write(STDOUT_FILENO, buf, (size_t)n) != n) {
			fprintf(stderr, "sector-crypt: input is not whole sectors, or the cipher failed\n");
			return 1;
		}
		iv_sector += (uint64_t)n / 512;
	}
	sector_cipher_free(cipher);
	secret_free(key);
	free(buf);
	return 0;
}
