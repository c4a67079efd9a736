/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_PCSCD_H
#define UNLOCK_BOOT_PCSCD_H

/*
 * The smart card daemon a PKCS#11 token behind a USB reader needs (OpenSC reaches readers only
 * through pcscd), when the image carries it: started before a PKCS#11 token is tried, started
 * again while a token is waited for (no udev here tells it of a reader plugged in later: pcscd
 * looks for readers when it starts), and stopped before the real system starts its own.
 */

/* Before each try of a PKCS#11 token; attempt counts from 0 within one wait. */
void pcscd_before_token(int attempt);
void pcscd_stop(void);

#endif
