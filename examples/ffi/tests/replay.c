/* The 2025-11-18 sequence through the C ABI, checked against the Rust
 * engine's own results (expected.h, written by `cargo run --bin expected`),
 * then hostile calls. Built by .ci/ffi.sh with the system cc, plain and with
 * -fsanitize=address,undefined:
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I include -I OUT tests/replay.c \
 *      target/release/libfeature_table_ffi.a -o OUT/replay
 *   OUT/replay ../../tests/fixtures OUT/model-logistic.json
 *
 * Exits 0 only if every check held. */
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature_table.h"
#include "expected.h"

/* The header's sizes hold for this target's engine; the library checks the
 * same at compile time (lib.rs) and at run time (ft_engine_size, below). */
typedef struct {
    alignas(FT_ENGINE_ALIGN) unsigned char bytes[FT_ENGINE_LOGISTIC_SIZE];
} LogisticStorage;
typedef struct {
    alignas(FT_ENGINE_ALIGN) unsigned char bytes[FT_ENGINE_CATBOOST_SIZE];
} CatBoostStorage;
_Static_assert(sizeof(LogisticStorage) == FT_ENGINE_LOGISTIC_SIZE, "logistic engine size");
_Static_assert(sizeof(CatBoostStorage) == FT_ENGINE_CATBOOST_SIZE, "CatBoost engine size");
_Static_assert(alignof(LogisticStorage) == FT_ENGINE_ALIGN, "engine alignment");
_Static_assert(FT_ENGINE_LOGISTIC_SIZE % FT_ENGINE_ALIGN == 0, "arrays of engines stay aligned");
_Static_assert(EXPECTED_SIGNALS <= FT_MAX_FEATURES, "signals within capacity");

static int failed, passed;

static void check(const char *what, int held) {
    if (held) {
        passed++;
    } else {
        failed++;
        printf("FAIL  %s\n", what);
    }
}

#define CHECK_STATUS(call, want)                                                         \
    do {                                                                                 \
        FtStatus got_ = (call);                                                          \
        if (got_ != (want)) printf("      %s: status %d, want %d\n", #call, got_, want); \
        check(#call " == " #want, got_ == (want));                                       \
    } while (0)

typedef struct {
    unsigned char *bytes;
    size_t len;
} File;

static File slurp(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", dir, name[0] ? "/" : "", name);
    File f = {0, 0};
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        printf("cannot open %s\n", path);
        exit(2);
    }
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    /* Exactly n bytes (no NUL): ASan sees any read past the file. */
    f.bytes = malloc(n > 0 ? (size_t)n : 1);
    f.len = fread(f.bytes, 1, (size_t)n, fp);
    fclose(fp);
    return f;
}

static void request(int k, float *signals) {
    for (int j = 0; j < EXPECTED_SIGNALS; j++) signals[j] = (float)((7 * j + 13 * k) % 32) / 8.0f - 2.0f;
}

static uint64_t bits(double d) {
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* Every request scores exactly as the Rust engine scored it. */
static int all_as_rust(FtEngine *e) {
    float signals[EXPECTED_SIGNALS];
    for (int k = 0; k < EXPECTED_REQUESTS; k++) {
        FtScore s;
        request(k, signals);
        if (ft_score(e, signals, EXPECTED_SIGNALS, &s) != FT_OK) return 0;
        if (bits(s.raw) != expected_raw_bits[k] || s.bot_score != expected_bot[k]) {
            printf("      request %d: raw %.17g bot %d, Rust says bot %d\n", k, s.raw, s.bot_score, expected_bot[k]);
            return 0;
        }
    }
    return 1;
}

static void print_last_error(const FtEngine *e, const char *what) {
    char msg[256];
    ft_last_error(e, msg, sizeof msg, NULL);
    printf("      %s: %s\n", what, msg);
}

static LogisticStorage storage; /* zeroed: a static */

static void incident(const char *fixtures, const char *model_path) {
    FtEngine *e = (FtEngine *)storage.bytes;
    float signals[EXPECTED_SIGNALS];
    FtScore score = {0, 0};
    FtAccepted acc = {0, 0};
    FtStats st;
    File good60 = slurp(fixtures, "good-60.json"), doubled120 = slurp(fixtures, "doubled-120.json"),
         good120 = slurp(fixtures, "good-120.json"), doubled240 = slurp(fixtures, "doubled-240.json"),
         malformed = slurp(fixtures, "malformed.json"), model = slurp(model_path, "");

    check("ft_engine_size(FT_KIND_LOGISTIC) fits the header's size",
          ft_engine_size(FT_KIND_LOGISTIC) > 0 && ft_engine_size(FT_KIND_LOGISTIC) <= FT_ENGINE_LOGISTIC_SIZE);
    check("ft_engine_size(FT_KIND_CATBOOST) fits the header's size",
          ft_engine_size(FT_KIND_CATBOOST) > 0 && ft_engine_size(FT_KIND_CATBOOST) <= FT_ENGINE_CATBOOST_SIZE);
    check("ft_engine_size of an unknown kind is 0", ft_engine_size(7) == 0);

    CHECK_STATUS(ft_score(e, signals, EXPECTED_SIGNALS, &score), FT_ERR_NOT_INITIALIZED);
    CHECK_STATUS(ft_engine_init(e, sizeof storage, FT_KIND_LOGISTIC, expected_names, EXPECTED_SIGNALS), FT_OK);
    request(0, signals);
    CHECK_STATUS(ft_score(e, signals, EXPECTED_SIGNALS, &score), FT_ERR_NO_TABLE);

    CHECK_STATUS(ft_offer_features(e, good60.bytes, good60.len, &acc), FT_OK);
    check("good-60 accepted as version 7 with 60 features", acc.version == 7 && acc.len == 60);
    CHECK_STATUS(ft_score(e, signals, EXPECTED_SIGNALS, &score), FT_ERR_NO_MODEL);
    CHECK_STATUS(ft_offer_model(e, model.bytes, model.len), FT_OK);
    check("all 32 requests score bit for bit as the Rust engine's", all_as_rust(e));

    /* The incident: each bad file rejected, the last good pair serving. */
    acc.version = 0;
    CHECK_STATUS(ft_offer_features(e, doubled120.bytes, doubled120.len, &acc), FT_ERR_FEATURES_REJECTED);
    check("a rejected offer leaves *accepted untouched", acc.version == 0);
    print_last_error(e, "doubled-120");
    char msg[256];
    CHECK_STATUS(ft_last_error(e, msg, sizeof msg, NULL), FT_OK);
    check("doubled-120: the message names the duplicate", strstr(msg, "ua_entropy") != NULL);
    check("after doubled-120: scores unchanged", all_as_rust(e));
    CHECK_STATUS(ft_offer_features(e, good120.bytes, good120.len, NULL), FT_ERR_FEATURES_REJECTED);
    print_last_error(e, "good-120 (growth 2x)");
    check("after good-120: scores unchanged", all_as_rust(e));
    CHECK_STATUS(ft_offer_features(e, doubled240.bytes, doubled240.len, NULL), FT_ERR_FEATURES_REJECTED);
    print_last_error(e, "doubled-240");
    check("after doubled-240: scores unchanged", all_as_rust(e));
    CHECK_STATUS(ft_offer_features(e, malformed.bytes, malformed.len, NULL), FT_ERR_FEATURES_REJECTED);
    print_last_error(e, "malformed");
    check("after malformed: scores unchanged", all_as_rust(e));
    CHECK_STATUS(ft_offer_model(e, good60.bytes, good60.len), FT_ERR_MODEL_REJECTED);
    print_last_error(e, "a feature file offered as the model");
    check("after a rejected model: scores unchanged", all_as_rust(e));

    CHECK_STATUS(ft_stats(e, &st), FT_OK);
    check("stats: 1 file accepted, 4 rejected in a row, version 7, 60 features, 1 model, 1 rejected",
          st.features_accepted == 1 && st.features_rejected == 4 && st.features_consecutive_rejections == 4 &&
              st.has_table == 1 && st.active_version == 7 && st.table_len == 60 && st.models_accepted == 1 &&
              st.models_rejected == 1 && st.has_model == 1 && st.enabled == 1);

    /* Switches. */
    CHECK_STATUS(ft_set_feature_enabled(e, "ua_length", 0), FT_OK);
    CHECK_STATUS(ft_score(e, signals, EXPECTED_SIGNALS, &score), FT_OK);
    check("ua_length off: request 0 scores as the Rust engine with ua_length off",
          bits(score.raw) == expected_switched_bits);
    CHECK_STATUS(ft_set_feature_enabled(e, "no_such_feature", 0), FT_ERR_UNKNOWN_FEATURE);
    CHECK_STATUS(ft_set_feature_enabled(e, "ua_length", 1), FT_OK);
    CHECK_STATUS(ft_set_enabled(e, 0), FT_OK);
    score.raw = 12345.0;
    CHECK_STATUS(ft_score(e, signals, EXPECTED_SIGNALS, &score), FT_ERR_DISABLED);
    check("kill switch: no number written", score.raw == 12345.0);
    CHECK_STATUS(ft_stats(e, &st), FT_OK);
    check("stats: kill switch reads off", st.enabled == 0);
    CHECK_STATUS(ft_set_enabled(e, 1), FT_OK);
    check("both switches back on: scores as before", all_as_rust(e));

    /* Last error into small buffers: truncation reported, NUL-terminated. */
    CHECK_STATUS(ft_score(e, signals, 3, &score), FT_ERR_BAD_ARGUMENT);
    size_t needed = 0;
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK_STATUS(ft_last_error(e, small, sizeof small, &needed), FT_ERR_TRUNCATED);
    check("truncated message: 7 bytes and a NUL", small[7] == 0 && strlen(small) == 7);
    char full[128];
    CHECK_STATUS(ft_last_error(e, full, sizeof full, NULL), FT_OK);
    check("needed is the full length", needed == strlen(full) && needed > 7);
    printf("      wrong signal count: %s\n", full);
    CHECK_STATUS(ft_last_error(e, NULL, 0, &needed), FT_ERR_TRUNCATED);
    check("capacity 0 still reports the length", needed == strlen(full));
    CHECK_STATUS(ft_last_error(e, full, needed + 1, NULL), FT_OK);
    CHECK_STATUS(ft_last_error(e, full, needed, NULL), FT_ERR_TRUNCATED);
    CHECK_STATUS(ft_last_error(e, NULL, 4, NULL), FT_ERR_NULL);
    CHECK_STATUS(ft_offer_features(e, good60.bytes, good60.len, NULL), FT_ERR_FEATURES_REJECTED); /* same version */
    check("still serving as before after every hostile call so far", all_as_rust(e));

    free(good60.bytes), free(doubled120.bytes), free(good120.bytes), free(doubled240.bytes);
    free(malformed.bytes), free(model.bytes);
}

static void hostile(const char *fixtures) {
    FtEngine *e = (FtEngine *)storage.bytes; /* the live engine from incident() */
    float signals[EXPECTED_SIGNALS + 1];
    FtScore score;
    FtStats st;
    File good60 = slurp(fixtures, "good-60.json");
    request(0, signals);

    /* Null pointers. */
    CHECK_STATUS(ft_engine_init(NULL, sizeof storage, FT_KIND_LOGISTIC, expected_names, EXPECTED_SIGNALS), FT_ERR_NULL);
    CHECK_STATUS(ft_offer_features(NULL, good60.bytes, good60.len, NULL), FT_ERR_NULL);
    CHECK_STATUS(ft_offer_features(e, NULL, 10, NULL), FT_ERR_NULL);
    CHECK_STATUS(ft_offer_model(e, NULL, 10), FT_ERR_NULL);
    CHECK_STATUS(ft_score(NULL, signals, EXPECTED_SIGNALS, &score), FT_ERR_NULL);
    CHECK_STATUS(ft_score(e, NULL, EXPECTED_SIGNALS, &score), FT_ERR_NULL);
    CHECK_STATUS(ft_score(e, signals, EXPECTED_SIGNALS, NULL), FT_ERR_NULL);
    CHECK_STATUS(ft_set_feature_enabled(e, NULL, 0), FT_ERR_NULL);
    CHECK_STATUS(ft_set_enabled(NULL, 0), FT_ERR_NULL);
    CHECK_STATUS(ft_stats(e, NULL), FT_ERR_NULL);
    CHECK_STATUS(ft_last_error(NULL, NULL, 0, NULL), FT_ERR_NULL);

    /* Zero lengths and lengths over the limits. */
    CHECK_STATUS(ft_offer_features(e, good60.bytes, 0, NULL), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_offer_model(e, good60.bytes, 0), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_offer_features(e, good60.bytes, (size_t)FT_MAX_FILE_LEN + 1, NULL), FT_ERR_TOO_LONG);
    CHECK_STATUS(ft_offer_model(e, good60.bytes, SIZE_MAX), FT_ERR_TOO_LONG);
    CHECK_STATUS(ft_score(e, signals, 0, &score), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_score(e, signals, EXPECTED_SIGNALS + 1, &score), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_score(e, signals, SIZE_MAX, &score), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_score(e, (const float *)((const char *)signals + 1), EXPECTED_SIGNALS, &score), FT_ERR_MISALIGNED);
    char long_name[FT_MAX_NAME_LEN + 8];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    CHECK_STATUS(ft_set_feature_enabled(e, long_name, 0), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_set_feature_enabled(e, "\xff\xfe", 0), FT_ERR_BAD_ARGUMENT);
    check("the live engine still serves as before after the hostile calls", all_as_rust(e));
    CHECK_STATUS(ft_stats(e, &st), FT_OK);
    check("hostile calls changed no statistics (1 accepted, 5 rejected)",
          st.features_accepted == 1 && st.features_rejected == 5 && st.active_version == 7);

    /* Engine buffers: misaligned, too small, never initialised, moved. */
    static LogisticStorage other;
    FtEngine *o = (FtEngine *)other.bytes;
    FtEngine *skewed = (FtEngine *)(other.bytes + 8);
    CHECK_STATUS(ft_engine_init(skewed, sizeof other - 8, FT_KIND_LOGISTIC, expected_names, EXPECTED_SIGNALS),
                 FT_ERR_MISALIGNED);
    CHECK_STATUS(ft_score(skewed, signals, EXPECTED_SIGNALS, &score), FT_ERR_MISALIGNED);
    CHECK_STATUS(ft_engine_init(o, ft_engine_size(FT_KIND_LOGISTIC) - 1, FT_KIND_LOGISTIC, expected_names,
                                EXPECTED_SIGNALS),
                 FT_ERR_TOO_SMALL);
    CHECK_STATUS(ft_engine_init(o, 64, FT_KIND_LOGISTIC, expected_names, EXPECTED_SIGNALS), FT_ERR_TOO_SMALL);
    CHECK_STATUS(ft_engine_init(o, sizeof other, FT_KIND_CATBOOST, expected_names, EXPECTED_SIGNALS),
                 FT_ERR_TOO_SMALL);
    CHECK_STATUS(ft_engine_init(o, sizeof other, 0, expected_names, EXPECTED_SIGNALS), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_score(o, signals, EXPECTED_SIGNALS, &score), FT_ERR_NOT_INITIALIZED);
    CHECK_STATUS(ft_offer_features(o, good60.bytes, good60.len, NULL), FT_ERR_NOT_INITIALIZED);
    CHECK_STATUS(ft_stats(o, &st), FT_ERR_NOT_INITIALIZED);
    CHECK_STATUS(ft_last_error(o, NULL, 0, NULL), FT_ERR_NOT_INITIALIZED);

    /* A failed init leaves an engine nothing will use. */
    CHECK_STATUS(ft_engine_init(o, sizeof other, FT_KIND_LOGISTIC, expected_names, EXPECTED_SIGNALS), FT_OK);
    CHECK_STATUS(ft_offer_features(o, good60.bytes, good60.len, NULL), FT_OK);
    const char *bad_names[] = {"ua_entropy", "has space", "ua_length"};
    CHECK_STATUS(ft_engine_init(o, sizeof other, FT_KIND_LOGISTIC, bad_names, 3), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_score(o, signals, EXPECTED_SIGNALS, &score), FT_ERR_NOT_INITIALIZED);
    CHECK_STATUS(ft_offer_features(o, good60.bytes, good60.len, NULL), FT_ERR_NOT_INITIALIZED);
    CHECK_STATUS(ft_set_enabled(o, 1), FT_ERR_NOT_INITIALIZED);
    const char *null_name[] = {"ua_entropy", NULL};
    CHECK_STATUS(ft_engine_init(o, sizeof other, FT_KIND_LOGISTIC, null_name, 2), FT_ERR_NULL);
    CHECK_STATUS(ft_stats(o, &st), FT_ERR_NOT_INITIALIZED);
    const char *too_long[] = {long_name};
    CHECK_STATUS(ft_engine_init(o, sizeof other, FT_KIND_LOGISTIC, too_long, 1), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_engine_init(o, sizeof other, FT_KIND_LOGISTIC, expected_names, 0), FT_ERR_BAD_ARGUMENT);
    CHECK_STATUS(ft_engine_init(o, sizeof other, FT_KIND_LOGISTIC, expected_names, FT_MAX_FEATURES + 1),
                 FT_ERR_TOO_LONG);
    CHECK_STATUS(ft_engine_init(o, sizeof other, FT_KIND_LOGISTIC, NULL, 1), FT_ERR_NULL);
    CHECK_STATUS(ft_last_error(o, NULL, 0, NULL), FT_ERR_NOT_INITIALIZED);

    /* A copied engine is refused (it points into the original). */
    LogisticStorage *copy = malloc(sizeof *copy);
    memcpy(copy, &storage, sizeof *copy);
    CHECK_STATUS(ft_score((FtEngine *)copy->bytes, signals, EXPECTED_SIGNALS, &score), FT_ERR_MOVED);
    CHECK_STATUS(ft_offer_features((FtEngine *)copy->bytes, good60.bytes, good60.len, NULL), FT_ERR_MOVED);
    free(copy);

    /* The CatBoost kind in a buffer of its size, from the heap. */
    CatBoostStorage *cb = aligned_alloc(FT_ENGINE_ALIGN, sizeof *cb);
    FtEngine *c = (FtEngine *)cb->bytes;
    CHECK_STATUS(ft_engine_init(c, sizeof *cb, FT_KIND_CATBOOST, expected_names, EXPECTED_SIGNALS), FT_OK);
    CHECK_STATUS(ft_offer_features(c, good60.bytes, good60.len, NULL), FT_OK);
    CHECK_STATUS(ft_score(c, signals, EXPECTED_SIGNALS, &score), FT_ERR_NO_MODEL);
    CHECK_STATUS(ft_offer_model(c, (const uint8_t *)"{\"bias\": 0.25, \"weights\": [1]}", 30), FT_ERR_MODEL_REJECTED);
    print_last_error(c, "a logistic model offered to a CatBoost engine");
    free(cb);
    free(good60.bytes);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s FIXTURES_DIR MODEL_JSON\n", argv[0]);
        return 2;
    }
    incident(argv[1], argv[2]);
    hostile(argv[1]);
    printf("%d checks passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
