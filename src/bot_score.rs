//! The bot score: a model's raw value (log-odds of "automated") mapped to
//! Cloudflare's 1..=99 convention by lookup tables, with no `exp` per
//! request.

use core::fmt;

/// Cloudflare's bot score convention: 1 = certainly automated, 99 =
/// certainly human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BotScore(u8);

impl BotScore {
    /// The score from a model's raw value, read as the log-odds that the
    /// request is automated (CatBoost `Logloss` with label 1 = bot; the
    /// logistic model likewise): `99 − 98·sigmoid(raw)`, rounded.
    /// `None` for a NaN or infinite `raw`: a failure never becomes a number.
    ///
    /// Cost: O(1), two table loads and a compare, no `exp`: the score is
    /// `99 − #{k : raw > T_k}`, where `T_k` are the 98 logits at which the
    /// rounded score steps down, and a bucket table over `raw` gives that
    /// count but for at most one step (tables of 1,136 bytes in all).
    #[inline]
    pub fn from_logit(raw: f64) -> Option<Self> {
        if !raw.is_finite() {
            return None;
        }
        let position = (raw - BUCKETS_FROM) * BUCKETS_PER_UNIT;
        let below = if position < 0.0 {
            0
        } else {
            // Saturating: a `raw` beyond the last bucket is above every step.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let bucket = position as usize;
            match STEPS_BELOW_BUCKET.get(bucket) {
                Some(&below) => {
                    // The one step that can lie inside the bucket.
                    let inside = LOGIT_STEPS.get(usize::from(below)).is_some_and(|&step| step < raw);
                    below + u8::from(inside)
                }
                None => 98,
            }
        };
        // `below` is at most 98, the number of steps.
        Some(Self(99_u8.saturating_sub(below)))
    }

    /// The score, in `1..=99`.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for BotScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The logits at which the bot score steps down, ascending: `raw` above
/// `LOGIT_STEPS[i]` scores at most `98 − i`. Entry `i` is `ln(q / (1 − q))`
/// for `q = (i + 0.5) / 98`, the value where `99 − 98·sigmoid(raw)` crosses
/// `98.5 − i`, the rounding boundary. A test checks them against the
/// formula.
const LOGIT_STEPS: [f64; 98] = [
    -5.272999558563747,
    -4.164077900236776,
    -3.6428355156125294,
    -3.295836866004329,
    -3.0338840395183673,
    -2.822460552279954,
    -2.644536795379884,
    -2.4904468301636156,
    -2.3541724617845388,
    -2.2317107534073886,
    -2.120263536200091,
    -2.017797378568629,
    -1.922787731634459,
    -1.8340618489187446,
    -1.750697982430281,
    -1.6719582694154342,
    -1.597242639340282,
    -1.5260563034950492,
    -1.4579862895760072,
    -1.3926841592186616,
    -1.3298530502149388,
    -1.2692378056988731,
    -1.2106173470446044,
    -1.1537987042354005,
    -1.0986122886681098,
    -1.0449081096962485,
    -0.9925527167077853,
    -0.9414267051456975,
    -0.8914226652961416,
    -0.8424434819224055,
    -0.7944009142651182,
    -0.747214401830221,
    -0.7008100533055146,
    -0.655119784970706,
    -0.6100805818613318,
    -0.5656338602609856,
    -0.5217249142240263,
    -0.47830243206043055,
    -0.43531807125784566,
    -0.3927260823307346,
    -0.3504829736908114,
    -0.30854721091574244,
    -0.26687894482201774,
    -0.22543976357456,
    -0.18419246472976636,
    -0.1431008436406733,
    -0.10212949507637979,
    -0.06124362524071879,
    -0.020408871631207012,
    0.020408871631206815,
    0.061243625240718386,
    0.10212949507637975,
    0.14310084364067324,
    0.1841924647297664,
    0.22543976357456008,
    0.2668789448220177,
    0.30854721091574266,
    0.3504829736908115,
    0.39272608233073486,
    0.4353180712578454,
    0.4783024320604305,
    0.5217249142240262,
    0.5656338602609856,
    0.6100805818613318,
    0.6551197849707061,
    0.7008100533055146,
    0.7472144018302214,
    0.7944009142651184,
    0.8424434819224057,
    0.8914226652961414,
    0.9414267051456972,
    0.9925527167077853,
    1.0449081096962485,
    1.0986122886681098,
    1.1537987042354005,
    1.2106173470446047,
    1.2692378056988731,
    1.329853050214939,
    1.3926841592186614,
    1.457986289576007,
    1.526056303495049,
    1.5972426393402819,
    1.6719582694154342,
    1.750697982430281,
    1.8340618489187446,
    1.9227877316344593,
    2.0177973785686296,
    2.1202635362000914,
    2.231710753407388,
    2.3541724617845383,
    2.490446830163615,
    2.6445367953798837,
    2.822460552279954,
    3.0338840395183673,
    3.2958368660043296,
    3.6428355156125307,
    4.164077900236778,
    5.272999558563757,
];

/// Where the bucket table over `raw` starts: below every step.
const BUCKETS_FROM: f64 = -5.5;
/// Buckets per unit of `raw`. A bucket (1/32 wide) is narrower than the
/// smallest gap between two steps (about 0.041, at `raw = 0`), so it holds at
/// most one.
const BUCKETS_PER_UNIT: f64 = 32.0;
/// Buckets up to `raw = 5.5`, above every step.
const BUCKETS: usize = 352;

/// Per bucket, how many steps lie below its start (exactly: the bounds are
/// multiples of 1/32, exact in `f64`). Built at compile time from
/// [`LOGIT_STEPS`], which also checks that the buckets span every step and
/// that no two steps share a bucket.
// Indexing in a constant: out of range would fail the build, never a run.
#[allow(clippy::indexing_slicing)]
const STEPS_BELOW_BUCKET: [u8; BUCKETS] = {
    let mut step = 1;
    while step < LOGIT_STEPS.len() {
        assert!(LOGIT_STEPS[step] - LOGIT_STEPS[step - 1] > 1.0 / BUCKETS_PER_UNIT, "two steps share a bucket");
        step += 1;
    }
    assert!(LOGIT_STEPS[0] > BUCKETS_FROM, "a step lies below the first bucket");
    assert!(LOGIT_STEPS[97] < BUCKETS_FROM + BUCKETS as f64 / BUCKETS_PER_UNIT, "a step lies above the last bucket");
    let mut table = [0_u8; BUCKETS];
    let mut bucket = 0;
    while bucket < BUCKETS {
        let start = BUCKETS_FROM + bucket as f64 / BUCKETS_PER_UNIT;
        let mut below = 0_u8;
        let mut step = 0;
        while step < LOGIT_STEPS.len() {
            if LOGIT_STEPS[step] < start {
                below += 1;
            }
            step += 1;
        }
        table[bucket] = below;
        bucket += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_score_follows_the_convention() {
        assert_eq!(BotScore::from_logit(0.0).unwrap().get(), 50);
        assert_eq!(BotScore::from_logit(50.0).unwrap().get(), 1);
        assert_eq!(BotScore::from_logit(-50.0).unwrap().get(), 99);
        assert_eq!(BotScore::from_logit(f64::NAN), None);
        assert_eq!(BotScore::from_logit(f64::INFINITY), None);
        let mut last = 99;
        for i in -100..=100 {
            let s = BotScore::from_logit(f64::from(i) / 10.0).unwrap().get();
            assert!((1..=99).contains(&s) && s <= last);
            last = s;
        }
    }

    /// The formula the step table stands for.
    fn by_formula(raw: f64) -> u8 {
        let p_bot = 1.0 / (1.0 + libm::exp(-raw));
        libm::round(99.0 - 98.0 * p_bot) as u8
    }

    #[test]
    fn the_bucket_table_counts_the_steps_below() {
        // Against a plain count, at and around every bucket bound (that no
        // two steps share a bucket is checked when the table is built).
        for bucket in 0..=BUCKETS {
            let start = BUCKETS_FROM + bucket as f64 / BUCKETS_PER_UNIT;
            for raw in [start - 1e-3, start, start + 1e-12, start + 1e-3] {
                let below = LOGIT_STEPS.iter().filter(|&&step| step < raw).count();
                assert_eq!(usize::from(99 - BotScore::from_logit(raw).unwrap().get()), below, "raw {raw}");
            }
        }
    }

    #[test]
    fn the_step_table_is_the_formula() {
        // Each step is where the rounded formula changes: just below it the
        // score is one higher than just above it.
        for (i, &step) in LOGIT_STEPS.iter().enumerate() {
            let expected = 99 - u8::try_from(i).unwrap();
            assert_eq!(by_formula(step - 1e-9), expected, "step {i}");
            assert_eq!(by_formula(step + 1e-9), expected - 1, "step {i}");
            assert_eq!(BotScore::from_logit(step - 1e-9).unwrap().get(), expected, "step {i}");
            assert_eq!(BotScore::from_logit(step + 1e-9).unwrap().get(), expected - 1, "step {i}");
        }
        // Everywhere else they agree: a dense sweep over the whole range
        // where the score moves, and far out on both sides.
        let near_step = |raw: f64| LOGIT_STEPS.iter().any(|&s| (s - raw).abs() < 1e-9);
        for i in -2_000_000..=2_000_000 {
            let raw = f64::from(i) * 3e-6 + 1e-7;
            if !near_step(raw) {
                assert_eq!(BotScore::from_logit(raw).unwrap().get(), by_formula(raw), "raw {raw}");
            }
        }
        for raw in [-1e300, -1e6, -40.0, 40.0, 1e6, 1e300, f64::MIN, f64::MAX] {
            assert_eq!(BotScore::from_logit(raw).unwrap().get(), by_formula(raw), "raw {raw}");
        }
    }
}
