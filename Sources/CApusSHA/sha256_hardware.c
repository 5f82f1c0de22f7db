// SHA-256 on the x86 SHA extensions (SHA-NI), following the structure of Intel's published
// reference ("Intel SHA Extensions", 2013): the state is kept as ABEF/CDGH in two registers,
// four rounds per sha256rnds2 pair, message schedule with sha256msg1/msg2.
#include "CApusSHA.h"

#if defined(__x86_64__) || defined(__i386__)

#include <cpuid.h>
#include <immintrin.h>

int apus_sha256_hardware_available(void) {
    unsigned int eax, ebx, ecx, edx;
    int available = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
        if (ssse3 && sse41 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
            available = (ebx >> 29) & 1;
        }
    }
    return available;
}

static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

__attribute__((target("sha,sse4.1,ssse3")))
void apus_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i byteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    // state[0..3] = A B C D, state[4..7] = E F G H; the instructions want ABEF and CDGH.
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);       // CDAB
    state1 = _mm_shuffle_epi32(state1, 0x1B); // EFGH
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8); // ABEF
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);      // CDGH

    while (blocks--) {
        const __m128i abefSave = state0, cdghSave = state1;
        __m128i msg, msg0, msg1, msg2, msg3;

        msg0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), byteSwap);
        msg1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), byteSwap);
        msg2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), byteSwap);
        msg3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), byteSwap);

#define ROUNDS4(m, k)                                                    \
    msg = _mm_add_epi32(m, _mm_load_si128((const __m128i *)&K[k]));      \
    state1 = _mm_sha256rnds2_epu32(state1, state0, msg);                 \
    msg = _mm_shuffle_epi32(msg, 0x0E);                                  \
    state0 = _mm_sha256rnds2_epu32(state0, state1, msg);

        // Rounds 0-15: the block's own words, and the schedule starts.
        ROUNDS4(msg0, 0)
        ROUNDS4(msg1, 4)
        msg0 = _mm_sha256msg1_epu32(msg0, msg1);
        ROUNDS4(msg2, 8)
        msg1 = _mm_sha256msg1_epu32(msg1, msg2);
        ROUNDS4(msg3, 12)
        msg0 = _mm_add_epi32(msg0, _mm_alignr_epi8(msg3, msg2, 4));
        msg0 = _mm_sha256msg2_epu32(msg0, msg3);
        msg2 = _mm_sha256msg1_epu32(msg2, msg3);

        // Rounds 16-63: each group of four computes the next schedule words.
#define SCHEDULE(a, b, c, d, k)                                          \
    ROUNDS4(a, k)                                                        \
    b = _mm_add_epi32(b, _mm_alignr_epi8(a, d, 4));                      \
    b = _mm_sha256msg2_epu32(b, a);                                      \
    d = _mm_sha256msg1_epu32(d, a);

        SCHEDULE(msg0, msg1, msg2, msg3, 16)
        SCHEDULE(msg1, msg2, msg3, msg0, 20)
        SCHEDULE(msg2, msg3, msg0, msg1, 24)
        SCHEDULE(msg3, msg0, msg1, msg2, 28)
        SCHEDULE(msg0, msg1, msg2, msg3, 32)
        SCHEDULE(msg1, msg2, msg3, msg0, 36)
        SCHEDULE(msg2, msg3, msg0, msg1, 40)
        SCHEDULE(msg3, msg0, msg1, msg2, 44)
        SCHEDULE(msg0, msg1, msg2, msg3, 48)
        // Rounds 52-63: the last schedule words need no successors.
        ROUNDS4(msg1, 52)
        msg2 = _mm_add_epi32(msg2, _mm_alignr_epi8(msg1, msg0, 4));
        msg2 = _mm_sha256msg2_epu32(msg2, msg1);
        ROUNDS4(msg2, 56)
        msg3 = _mm_add_epi32(msg3, _mm_alignr_epi8(msg2, msg1, 4));
        msg3 = _mm_sha256msg2_epu32(msg3, msg2);
        ROUNDS4(msg3, 60)
#undef SCHEDULE
#undef ROUNDS4

        state0 = _mm_add_epi32(state0, abefSave);
        state1 = _mm_add_epi32(state1, cdghSave);
        data += 64;
    }

    tmp = _mm_shuffle_epi32(state0, 0x1B);    // FEBA
    state1 = _mm_shuffle_epi32(state1, 0xB1); // DCHG
    state0 = _mm_blend_epi16(tmp, state1, 0xF0); // DCBA
    state1 = _mm_alignr_epi8(state1, tmp, 8);    // HGFE (as E F G H in memory order)
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

#else

int apus_sha256_hardware_available(void) { return 0; }

void apus_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state;
    (void)data;
    (void)blocks;
}

#endif
