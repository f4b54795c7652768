// The 60 extractors of the footprint binaries (`include!`d by both): one per
// feature of testdata/good-60.json, reading a precomputed value.

/// The request: the 60 feature values, precomputed.
type Request = [f32; 60];

macro_rules! features {
    ($($i:literal $name:literal)*) => { &[$(Extractor::new($name, |r: &Request| r[$i]),)*] };
}

static EXTRACTORS: &[Extractor<Request>] = features!(
    0 "bot_feature_000" 1 "bot_feature_001" 2 "bot_feature_002" 3 "bot_feature_003" 4 "bot_feature_004"
    5 "bot_feature_005" 6 "bot_feature_006" 7 "bot_feature_007" 8 "bot_feature_008" 9 "bot_feature_009"
    10 "bot_feature_010" 11 "bot_feature_011" 12 "bot_feature_012" 13 "bot_feature_013" 14 "bot_feature_014"
    15 "bot_feature_015" 16 "bot_feature_016" 17 "bot_feature_017" 18 "bot_feature_018" 19 "bot_feature_019"
    20 "bot_feature_020" 21 "bot_feature_021" 22 "bot_feature_022" 23 "bot_feature_023" 24 "bot_feature_024"
    25 "bot_feature_025" 26 "bot_feature_026" 27 "bot_feature_027" 28 "bot_feature_028" 29 "bot_feature_029"
    30 "bot_feature_030" 31 "bot_feature_031" 32 "bot_feature_032" 33 "bot_feature_033" 34 "bot_feature_034"
    35 "bot_feature_035" 36 "bot_feature_036" 37 "bot_feature_037" 38 "bot_feature_038" 39 "bot_feature_039"
    40 "bot_feature_040" 41 "bot_feature_041" 42 "bot_feature_042" 43 "bot_feature_043" 44 "bot_feature_044"
    45 "bot_feature_045" 46 "bot_feature_046" 47 "bot_feature_047" 48 "bot_feature_048" 49 "bot_feature_049"
    50 "bot_feature_050" 51 "bot_feature_051" 52 "bot_feature_052" 53 "bot_feature_053" 54 "bot_feature_054"
    55 "bot_feature_055" 56 "bot_feature_056" 57 "bot_feature_057" 58 "bot_feature_058" 59 "bot_feature_059"
);
