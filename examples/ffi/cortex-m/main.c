/* feature-table from C on a Cortex-M3 (QEMU lm3s6965evb): the staticlib
 * built for thumbv7m-none-eabi, linked into this C program by
 * arm-none-eabi-gcc (see .ci/ffi.sh). The same sequence and the same 32
 * requests as examples/qemu-cortex-m (the Rust firmware): a good 60-feature
 * file and the 16x6 CatBoost model, every raw value checked against
 * CatBoost's own (expected.h, made from that example's testdata/expected.rs,
 * the values the Rust firmware checks), then the doubled, over-capacity and
 * same-version files rejected with the scores unchanged bit for bit, the
 * feature switch and the kill switch. Output and exit through semihosting:
 * status 0 only if every check held. */
#include <stdint.h>

#include "expected-catboost.h" /* CatBoost's values (.ci/ffi.sh) */
#include "feature_table.h"
#include "semihosting.h"

/* The test files, embedded in flash (paths given by the build). */
#define EMBED(sym, path)                                                     \
    __asm__(".section .rodata." #sym ",\"a\"\n.balign 4\n.global " #sym "\n" #sym \
            ":\n.incbin \"" path "\"\n.global " #sym "_end\n" #sym "_end:\n.previous\n"); \
    extern const uint8_t sym[], sym##_end[]
EMBED(good, TESTDATA "/good-60.json");
EMBED(doubled, TESTDATA "/doubled-120.json");
EMBED(overcap, TESTDATA "/overcap-240.json");
EMBED(model, TESTDATA "/model-16x6.json");

#define REQUESTS 32
#define SIGNALS 60
#define TOLERANCE 1e-9

typedef struct {
    _Alignas(FT_ENGINE_ALIGN) unsigned char bytes[FT_ENGINE_CATBOOST_SIZE];
} CatBoostStorage;
_Static_assert(sizeof(CatBoostStorage) == FT_ENGINE_CATBOOST_SIZE, "CatBoost engine size");
_Static_assert(_Alignof(CatBoostStorage) == FT_ENGINE_ALIGN, "engine alignment");

static CatBoostStorage storage; /* .bss: zeroed by the reset handler */
static char name_bytes[SIGNALS][16];
static const char *names[SIGNALS];
static float signals[SIGNALS];
static FtScore baseline[REQUESTS];
static int passed, failed;

static void put_u32(uint32_t v) {
    char buf[11], *p = buf + 10;
    *p = 0;
    do *--p = (char)('0' + v % 10); while (v /= 10);
    sh_puts(p);
}

static void put_hex64(uint64_t v) {
    char buf[19] = "0x";
    for (int i = 0; i < 16; i++) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    buf[18] = 0;
    sh_puts(buf);
}

static void check(const char *what, int held) {
    sh_puts(held ? "ok    " : "FAIL  ");
    sh_puts(what);
    sh_puts("\n");
    if (held) passed++; else failed++;
}

/* Request k: feature i is ((7i + 13k) mod 32)/8 - 2, as in the Rust firmware. */
static void request(int k) {
    for (int i = 0; i < SIGNALS; i++) signals[i] = (float)((7 * i + 13 * k) % 32) / 8.0f - 2.0f;
}

static double absd(double d) { return d < 0 ? -d : d; }

static uint64_t bits(double d) {
    union { double d; uint64_t u; } x = {d};
    return x.u;
}

static int unchanged(FtEngine *e) {
    FtScore s;
    for (int k = 0; k < REQUESTS; k++) {
        request(k);
        if (ft_score(e, signals, SIGNALS, &s) != FT_OK) return 0;
        if (bits(s.raw) != bits(baseline[k].raw) || s.bot_score != baseline[k].bot_score) return 0;
    }
    return 1;
}

static void show_error(FtEngine *e) {
    static char msg[160];
    size_t needed = 0;
    FtStatus st = ft_last_error(e, msg, sizeof msg, &needed);
    sh_puts("      ");
    sh_puts(msg);
    if (st == FT_ERR_TRUNCATED) sh_puts(" [truncated]");
    sh_puts("\n");
}

int main(void) {
    FtEngine *e = (FtEngine *)storage.bytes;
    FtAccepted acc = {0, 0};
    FtScore s;
    FtStats st;
    sh_puts("feature-table from C on Cortex-M3: CatBoost engine of ");
    put_u32((uint32_t)ft_engine_size(FT_KIND_CATBOOST));
    sh_puts(" bytes (header: ");
    put_u32(FT_ENGINE_CATBOOST_SIZE);
    sh_puts(")\n");
    check("the library's engine fits the header's size",
          ft_engine_size(FT_KIND_CATBOOST) > 0 && ft_engine_size(FT_KIND_CATBOOST) <= sizeof storage);

    for (int i = 0; i < SIGNALS; i++) {
        char *n = name_bytes[i];
        const char *prefix = "bot_feature_";
        int j = 0;
        while (prefix[j]) { n[j] = prefix[j]; j++; }
        n[j++] = (char)('0' + i / 100);
        n[j++] = (char)('0' + i / 10 % 10);
        n[j++] = (char)('0' + i % 10);
        n[j] = 0;
        names[i] = n;
    }
    request(0);
    check("before init: FT_ERR_NOT_INITIALIZED", ft_score(e, signals, SIGNALS, &s) == FT_ERR_NOT_INITIALIZED);
    check("init as a CatBoost engine with 60 signals",
          ft_engine_init(e, sizeof storage, FT_KIND_CATBOOST, names, SIGNALS) == FT_OK);
    check("no table yet: FT_ERR_NO_TABLE", ft_score(e, signals, SIGNALS, &s) == FT_ERR_NO_TABLE);
    check("good 60-feature file accepted as version 100",
          ft_offer_features(e, good, (size_t)(good_end - good), &acc) == FT_OK && acc.version == 100 && acc.len == 60);
    check("no model yet: FT_ERR_NO_MODEL", ft_score(e, signals, SIGNALS, &s) == FT_ERR_NO_MODEL);
    FtStatus loaded = ft_offer_model(e, model, (size_t)(model_end - model));
    if (loaded != FT_OK) show_error(e);
    check("CatBoost model (16 trees, depth 6) accepted", loaded == FT_OK);

    int all_ok = 1;
    double worst = 0;
    for (int k = 0; k < REQUESTS; k++) {
        request(k);
        if (ft_score(e, signals, SIGNALS, &baseline[k]) != FT_OK || baseline[k].bot_score < 1 ||
            baseline[k].bot_score > 99) {
            all_ok = 0;
            continue;
        }
        double d = absd(baseline[k].raw - EXPECTED_RAW[k]);
        if (d > worst) worst = d;
        sh_puts("request ");
        put_u32((uint32_t)k);
        sh_puts(": raw bits ");
        put_hex64(bits(baseline[k].raw));
        sh_puts(", CatBoost ");
        put_hex64(bits(EXPECTED_RAW[k]));
        sh_puts(", bot score ");
        put_u32(baseline[k].bot_score);
        sh_puts("\n");
    }
    check("all 32 requests scored, bot score in 1..=99", all_ok);
    check("every raw value matches CatBoost's RawFormulaVal within 1e-9 (as the Rust firmware checks)",
          all_ok && worst <= TOLERANCE);

    check("doubled 120-entry file rejected",
          ft_offer_features(e, doubled, (size_t)(doubled_end - doubled), NULL) == FT_ERR_FEATURES_REJECTED);
    show_error(e);
    check("after doubled: all 32 scores identical to before", unchanged(e));
    check("240-entry file rejected",
          ft_offer_features(e, overcap, (size_t)(overcap_end - overcap), NULL) == FT_ERR_FEATURES_REJECTED);
    show_error(e);
    check("after over-capacity: all 32 scores identical to before", unchanged(e));
    check("same version offered again rejected",
          ft_offer_features(e, good, (size_t)(good_end - good), NULL) == FT_ERR_FEATURES_REJECTED);
    show_error(e);
    check("after same version: all 32 scores identical to before", unchanged(e));
    check("stats: 1 accepted, 3 rejected in a row, version 100, 60 features",
          ft_stats(e, &st) == FT_OK && st.features_accepted == 1 && st.features_rejected == 3 &&
              st.features_consecutive_rejections == 3 && st.active_version == 100 && st.table_len == 60);

    check("switching off bot_feature_003", ft_set_feature_enabled(e, "bot_feature_003", 0) == FT_OK);
    check("switching off an unknown name: FT_ERR_UNKNOWN_FEATURE",
          ft_set_feature_enabled(e, "no_such_feature", 0) == FT_ERR_UNKNOWN_FEATURE);
    request(0);
    check("request 0 with bot_feature_003 off: raw matches CatBoost for that row",
          ft_score(e, signals, SIGNALS, &s) == FT_OK && absd(s.raw - EXPECTED_RAW_SWITCHED) <= TOLERANCE &&
              bits(s.raw) != bits(baseline[0].raw));
    check("kill switch off", ft_set_enabled(e, 0) == FT_OK);
    int disabled = 1;
    for (int k = 0; k < REQUESTS; k++) {
        request(k);
        disabled &= ft_score(e, signals, SIGNALS, &s) == FT_ERR_DISABLED;
    }
    check("kill switch off: every request FT_ERR_DISABLED, never a number", disabled);
    check("both switches back on",
          ft_set_enabled(e, 1) == FT_OK && ft_set_feature_enabled(e, "bot_feature_003", 1) == FT_OK);
    check("both switches back on: all 32 scores identical to before", unchanged(e));

    sh_puts("stack: deepest use ");
    put_u32((uint32_t)stack_used());
    sh_puts(" of ");
    put_u32((uint32_t)stack_size());
    sh_puts(" bytes between .bss and the top of RAM\n");
    check("the stack never reached .bss (16 bytes of paint left at least)", stack_used() + 16 <= stack_size());

    put_u32((uint32_t)passed);
    sh_puts(" checks passed, ");
    put_u32((uint32_t)failed);
    sh_puts(" failed\n");
    return failed == 0 && passed > 0 ? 0 : 1;
}
