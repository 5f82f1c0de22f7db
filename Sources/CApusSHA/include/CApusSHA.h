#ifndef CAPUSSHA_H
#define CAPUSSHA_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has the SHA extensions (and the SSSE3 and SSE4.1 they are used with), so
/// `apus_sha256_blocks` may be called. Asks cpuid (callers keep the answer); 0 on other architectures.
int apus_sha256_hardware_available(void);

/// Runs the SHA-256 compression function over `blocks` whole 64-byte blocks at `data`, updating
/// `state` (the eight words H0...H7, in order) in place, with the CPU's SHA instructions. Only
/// when `apus_sha256_hardware_available()` says so.
void apus_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
