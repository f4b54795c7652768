-- OpenResty-style use of the C ABI: LuaJIT's FFI loads the cdylib, offers
-- the incident's files and scores requests, comparing with the Rust engine.
--
--   luajit lua/replay.lua target/release/libfeature_table_ffi.so \
--       include/feature_table.h ../../tests/fixtures OUT_DIR
--
-- OUT_DIR holds expected.lua and model-logistic.json (`cargo run --bin
-- expected`). Exits 0 only if every check held.
local ffi = require("ffi")
local lib_path, header_path, fixtures, out = arg[1], arg[2], arg[3], arg[4]
if not out then
  io.stderr:write("usage: luajit replay.lua LIB HEADER FIXTURES_DIR OUT_DIR\n")
  os.exit(2)
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- ffi.cdef takes the generated header minus what it cannot parse
-- (preprocessor lines and the C++ guards).
local header = ("\n" .. slurp(header_path))
  :gsub("#ifdef __cplusplus.-#endif[^\n]*\n", "")
  :gsub("\n#[^\n]*", "\n")
  :gsub("//[^\n]*", "")
local defines = {}
for name, value in slurp(header_path):gmatch("#define (FT_[%w_]+) (%b())") do defines[name] = value end
for name, value in slurp(header_path):gmatch("#define (FT_[%w_]+) (%d+)") do defines[name] = value end
ffi.cdef(header)
local ft = ffi.load(lib_path)
local ENGINE_SIZE = tonumber(defines.FT_ENGINE_LOGISTIC_SIZE)
local ENGINE_ALIGN = tonumber(defines.FT_ENGINE_ALIGN)
local FT_KIND_LOGISTIC = tonumber(defines.FT_KIND_LOGISTIC)

local expected = dofile(out .. "/expected.lua")
local passed, failed = 0, 0
local function check(what, held)
  if held then passed = passed + 1 else failed = failed + 1; print("FAIL  " .. what) end
end

-- The engine: a zeroed, aligned buffer that LuaJIT's GC must not free or
-- move (kept in a local for the script's life; cdata never moves).
local raw_buf = ffi.new("uint8_t[?]", ENGINE_SIZE + ENGINE_ALIGN)
local addr = tonumber(ffi.cast("uintptr_t", raw_buf))
local engine = ffi.cast("FtEngine *", raw_buf + (ENGINE_ALIGN - addr % ENGINE_ALIGN) % ENGINE_ALIGN)
check("the library's engine fits the header's size", ft.ft_engine_size(FT_KIND_LOGISTIC) <= ENGINE_SIZE)

local n = #expected.names
local names = ffi.new("const char *[?]", n)
local keep = {}
for i, name in ipairs(expected.names) do
  keep[i] = name
  names[i - 1] = name
end
check("init", ft.ft_engine_init(engine, ENGINE_SIZE, FT_KIND_LOGISTIC, names, n) == ft.FT_OK)

local function offer(file)
  local bytes = slurp(fixtures .. "/" .. file)
  return ft.ft_offer_features(engine, ffi.cast("const uint8_t *", bytes), #bytes, nil)
end

local signals = ffi.new("float[?]", n)
local score = ffi.new("FtScore")
local function request(k)
  for j = 0, n - 1 do signals[j] = ((7 * j + 13 * k) % 32) / 8 - 2 end
end
local function all_as_rust()
  for k = 0, #expected.raw - 1 do
    request(k)
    if ft.ft_score(engine, signals, n, score) ~= ft.FT_OK then return false end
    if score.raw ~= expected.raw[k + 1] or score.bot_score ~= expected.bot[k + 1] then
      print(string.format("      request %d: raw %.17g bot %d", k, score.raw, score.bot_score))
      return false
    end
  end
  return true
end

local msg = ffi.new("char[256]")
local function last_error()
  ft.ft_last_error(engine, msg, 256, nil)
  return ffi.string(msg)
end

request(0)
check("no table yet", ft.ft_score(engine, signals, n, score) == ft.FT_ERR_NO_TABLE)
check("good-60 accepted", offer("good-60.json") == ft.FT_OK)
local model = slurp(out .. "/model-logistic.json")
check("model accepted", ft.ft_offer_model(engine, ffi.cast("const uint8_t *", model), #model) == ft.FT_OK)
check("32 requests score as the Rust engine's", all_as_rust())
for _, file in ipairs({ "doubled-120.json", "good-120.json", "doubled-240.json", "malformed.json" }) do
  check(file .. " rejected", offer(file) == ft.FT_ERR_FEATURES_REJECTED)
  print("      " .. file .. ": " .. last_error())
  check("after " .. file .. ": scores unchanged", all_as_rust())
end
check("kill switch off", ft.ft_set_enabled(engine, 0) == ft.FT_OK)
check("kill switch: FT_ERR_DISABLED, never a number", ft.ft_score(engine, signals, n, score) == ft.FT_ERR_DISABLED)
check("kill switch on", ft.ft_set_enabled(engine, 1) == ft.FT_OK)
check("scores back", all_as_rust())
local stats = ffi.new("FtStats")
check("stats", ft.ft_stats(engine, stats) == ft.FT_OK)
check("stats: 1 accepted, 4 rejected, version 7",
  stats.features_accepted == 1 and stats.features_rejected == 4 and tonumber(stats.active_version) == 7)
check("wrong signal count refused", ft.ft_score(engine, signals, n - 1, score) == ft.FT_ERR_BAD_ARGUMENT)
check("nil signals refused", ft.ft_score(engine, nil, n, score) == ft.FT_ERR_NULL)

print(string.format("%d checks passed, %d failed", passed, failed))
os.exit(failed == 0 and passed > 0 and 0 or 1)
