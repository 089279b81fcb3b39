// C++-only checks of the native core, meant to run under sanitizers (see native/CMakeLists.txt):
//  1. random valid forests of both rules: scoreRows (1 and 3 threads, float32 and float64 input) must
//     equal a direct C++ transcription of src/engine/reference.ts bit for bit;
//  2. random corruptions of valid forests: buildModel must either refuse them with a message or build a
//     model that scores without touching memory it does not own (ASan/UBSan report otherwise).
// Usage: forest_fuzz [iterations=300] [seed=1]
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../src/forest.h"
#include "../src/kernels.h"

using namespace grove;

namespace {

struct Ir {
  Rule rule = Rule::XGBoost;
  int64_t nf = 0, K = 1, width = 1, T = 0;
  std::vector<double> base;
  std::vector<int32_t> nodeOffset, output;
  std::vector<double> weight;
  std::vector<int32_t> feature, left, right, catStart, catWords;
  std::vector<double> threshold, leafValue;
  std::vector<uint8_t> flags;
  std::vector<uint32_t> catBits;
  bool linear = false;
  std::vector<int32_t> termOffset, termFeature;
  std::vector<double> termCoeff, constant;

  ForestSpec spec() const {
    ForestSpec s;
    s.rule = rule;
    s.numFeatures = nf;
    s.numMargins = K;
    s.leafWidth = width;
    s.treeCount = T;
    s.baseScore = {base.data(), base.size()};
    s.nodeOffset = {nodeOffset.data(), nodeOffset.size()};
    s.output = {output.data(), output.size()};
    s.weight = {weight.data(), weight.size()};
    s.feature = {feature.data(), feature.size()};
    s.threshold = {threshold.data(), threshold.size()};
    s.left = {left.data(), left.size()};
    s.right = {right.data(), right.size()};
    s.flags = {flags.data(), flags.size()};
    s.catStart = {catStart.data(), catStart.size()};
    s.catWords = {catWords.data(), catWords.size()};
    s.leafValue = {leafValue.data(), leafValue.size()};
    s.catBits = {catBits.data(), catBits.size()};
    s.hasLinear = linear;
    s.termOffset = {termOffset.data(), termOffset.size()};
    s.termFeature = {termFeature.data(), termFeature.size()};
    s.termCoeff = {termCoeff.data(), termCoeff.size()};
    s.constant = {constant.data(), constant.size()};
    return s;
  }
};

const double kPool[] = {-1, 0, -0.0, 0.5, 1, 2.5, 3, 31, 1e-36, 1e-35, -1e-35, static_cast<double>(1e-35f), 1e30,
                        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                        std::numeric_limits<double>::quiet_NaN(), 5e-324, 1e-45, 16777216, 2147483648.0, -2147483649.0,
                        4294967299.0, 0.1, static_cast<double>(0.1f), 1e300, 3.5e38, 63, 64, 33};

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(uint64_t seed) : rng(seed) {}
  double u() { return std::uniform_real_distribution<double>(0, 1)(rng); }
  int64_t i(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }
  double pool() { return kPool[i(0, sizeof kPool / sizeof kPool[0] - 1)]; }
};

Ir randomForest(Gen& g) {
  Ir ir;
  ir.rule = g.u() < 0.5 ? Rule::XGBoost : Rule::LightGBM;
  const bool xgb = ir.rule == Rule::XGBoost;
  ir.nf = g.i(0, 6);
  ir.K = g.i(1, 3);
  ir.width = (ir.K > 1 && g.u() < 0.3) ? ir.K : 1;
  ir.linear = ir.width == 1 && ir.nf > 0 && g.u() < 0.3;
  ir.T = g.i(0, 8);
  const int maxDepth = static_cast<int>(g.i(0, 6));
  for (int64_t j = 0; j < ir.K; ++j) ir.base.push_back(g.u() < 0.7 ? static_cast<float>(g.u() - 0.5) : g.u() - 0.5);
  ir.nodeOffset.push_back(0);
  if (ir.linear) ir.termOffset.push_back(0);
  for (int64_t t = 0; t < ir.T; ++t) {
    // Grow depth-first with local numbering = creation order (root 0).
    std::vector<int> depthOf{0};
    std::vector<int32_t> l{-1}, r{-1};
    for (size_t k = 0; k < depthOf.size(); ++k) {
      if (depthOf[k] >= maxDepth || ir.nf == 0 || (k > 0 && g.u() < 0.3)) continue;
      l[k] = static_cast<int32_t>(depthOf.size());
      r[k] = l[k] + 1;
      for (int c = 0; c < 2; ++c) {
        depthOf.push_back(depthOf[k] + 1);
        l.push_back(-1);
        r.push_back(-1);
      }
    }
    for (size_t k = 0; k < depthOf.size(); ++k) {
      const bool inner = l[k] != -1;
      ir.left.push_back(l[k]);
      ir.right.push_back(r[k]);
      uint8_t fl = g.u() < 0.5 ? kFlagDefaultLeft : 0;
      int32_t cs = 0, cw = 0;
      double thr = 0;
      ir.feature.push_back(inner ? static_cast<int32_t>(g.i(0, ir.nf - 1)) : 0);
      if (inner) {
        if (g.u() < 0.2) {
          fl |= kFlagCategorical;
          cw = static_cast<int32_t>(g.i(0, 3));
          cs = static_cast<int32_t>(ir.catBits.size());
          for (int w = 0; w < cw; ++w) ir.catBits.push_back(static_cast<uint32_t>(g.rng()));
        } else {
          thr = g.u() < 0.5 ? g.pool() : (g.u() - 0.5) * 8;
          if (xgb && g.u() < 0.8) thr = static_cast<float>(thr);
        }
        if (!xgb) {
          const double m = g.u();
          if (m < 0.3) fl |= kFlagMissingNaN;
          else if (m < 0.5) fl |= kFlagMissingZero;
        }
      }
      ir.flags.push_back(fl);
      ir.threshold.push_back(thr);
      ir.catStart.push_back(cs);
      ir.catWords.push_back(cw);
      for (int64_t j = 0; j < ir.width; ++j) {
        const double v = inner ? 0.0 : (g.u() < 0.05 ? g.pool() : g.u() - 0.5);
        ir.leafValue.push_back(xgb ? static_cast<float>(v) : v);
      }
      if (ir.linear) {
        if (!inner) {
          const int n = static_cast<int>(g.i(0, 2));
          for (int j = 0; j < n; ++j) {
            ir.termFeature.push_back(static_cast<int32_t>(g.i(0, ir.nf - 1)));
            ir.termCoeff.push_back(g.u() - 0.5);
          }
        }
        ir.termOffset.push_back(static_cast<int32_t>(ir.termFeature.size()));
        ir.constant.push_back(inner ? 0 : g.u() - 0.5);
      }
    }
    ir.nodeOffset.push_back(static_cast<int32_t>(ir.feature.size()));
    ir.output.push_back(ir.width > 1 ? -1 : static_cast<int32_t>(g.i(0, ir.K - 1)));
    ir.weight.push_back(g.u() < 0.5 ? 1.0 : static_cast<float>(g.u() * 2));
  }
  return ir;
}

// ---- Direct transcription of src/engine/reference.ts ------------------------------------------------

bool inBitset(const Ir& ir, size_t g, double code) {
  const double w = std::floor(code / 32);
  if (w >= ir.catWords[g]) return false;
  return ((ir.catBits[ir.catStart[g] + static_cast<size_t>(w)] >> static_cast<uint32_t>(std::fmod(code, 32))) & 1u) != 0;
}

bool goesLeft(const Ir& ir, size_t g, double x) {
  const uint8_t fl = ir.flags[g];
  if (ir.rule == Rule::XGBoost) {
    if (std::isnan(x)) return (fl & kFlagDefaultLeft) != 0;
    const double xf = static_cast<float>(x);
    if (fl & kFlagCategorical) {
      if (xf < 0 || xf >= 16777216.0) return true;
      return !inBitset(ir, g, std::trunc(xf));
    }
    return xf < ir.threshold[g];
  }
  if (fl & kFlagCategorical) {
    if (std::isnan(x)) return false;
    const double t = std::trunc(x);
    const double code = (t >= -2147483648.0 && t <= 2147483647.0) ? t : -2147483648.0;
    if (code < 0) return false;
    return inBitset(ir, g, code);
  }
  const bool dl = (fl & kFlagDefaultLeft) != 0;
  if (std::isnan(x) && !(fl & kFlagMissingNaN)) x = 0.0;
  if ((fl & kFlagMissingZero) && std::fabs(x) <= static_cast<double>(1e-35f)) return dl;
  if ((fl & kFlagMissingNaN) && std::isnan(x)) return dl;
  return x <= ir.threshold[g];
}

std::vector<double> reference(const Ir& ir, const std::vector<double>& x, size_t rows, int64_t treeEnd) {
  std::vector<double> out(rows * ir.K);
  const bool xgb = ir.rule == Rule::XGBoost;
  for (size_t r = 0; r < rows; ++r) {
    const double* row = x.data() + r * ir.nf;
    double* o = out.data() + r * ir.K;
    for (int64_t j = 0; j < ir.K; ++j) o[j] = ir.base[j];
    for (int64_t t = 0; t < treeEnd; ++t) {
      const size_t base = ir.nodeOffset[t];
      size_t node = 0;
      for (;;) {
        const size_t g = base + node;
        if (ir.left[g] < 0) break;
        node = goesLeft(ir, g, row[ir.feature[g]]) ? ir.left[g] : ir.right[g];
      }
      const size_t g = base + node;
      const double w = ir.weight[t];
      if (ir.width == 1) {
        const int64_t j = ir.output[t];
        double leaf = ir.leafValue[g];
        if (ir.linear) {
          double v = ir.constant[g];
          for (int32_t k = ir.termOffset[g]; k < ir.termOffset[g + 1]; ++k) {
            const double xv = row[ir.termFeature[k]];
            if (std::isnan(xv)) {
              v = ir.leafValue[g];
              break;
            }
            v += ir.termCoeff[k] * xv;
          }
          leaf = v;
        }
        o[j] = xgb ? static_cast<float>(o[j] + static_cast<float>(leaf * w)) : o[j] + leaf;
      } else {
        for (int64_t j = 0; j < ir.width; ++j) {
          const double leaf = ir.leafValue[g * ir.width + j];
          o[j] = xgb ? static_cast<float>(o[j] + static_cast<float>(leaf * w)) : o[j] + leaf;
        }
      }
    }
  }
  return out;
}

bool sameBits(double a, double b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }

int failures = 0;
size_t compared = 0, refused = 0, accepted = 0;

void checkValid(Gen& g, const Ir& ir) {
  std::string err;
  auto m = buildModel(ir.spec(), &err);
  if (!m) {
    std::printf("FAIL: valid forest refused: %s\n", err.c_str());
    ++failures;
    return;
  }
  for (size_t rows : {size_t{1}, size_t{7}, size_t{65}, size_t{300}}) {
    std::vector<double> x(rows * ir.nf);
    for (double& v : x) v = g.u() < 0.5 ? g.pool() : (g.u() - 0.5) * 8;
    if (ir.nf > 0 && !ir.threshold.empty() && g.u() < 0.5) {
      for (double& v : x) if (g.u() < 0.3) v = ir.threshold[g.i(0, ir.threshold.size() - 1)];
    }
    std::vector<float> xf(x.begin(), x.end());
    std::vector<double> xd(xf.begin(), xf.end());  // the float32 input, as the reference reads it
    const int64_t treeEnd = g.i(0, ir.T);
    const auto want = reference(ir, x, rows, treeEnd);
    const auto wantF = reference(ir, xd, rows, treeEnd);
    for (unsigned threads : {1u, 3u}) {
      std::vector<double> got(rows * ir.K, -7.0);
      scoreRows(*m, Input{x.data(), false}, rows, static_cast<uint32_t>(treeEnd), got.data(), threads);
      std::vector<double> gotF(rows * ir.K, -7.0);
      scoreRows(*m, Input{xf.data(), true}, rows, static_cast<uint32_t>(treeEnd), gotF.data(), threads);
      compared += 2 * got.size();
      for (size_t i = 0; i < got.size(); ++i) {
        if (!sameBits(got[i], want[i]) || !sameBits(gotF[i], wantF[i])) {
          std::printf("FAIL: rule %d rows %zu threads %u value %zu: f64 %.17g vs %.17g, f32 %.17g vs %.17g\n",
                      static_cast<int>(ir.rule), rows, threads, i, got[i], want[i], gotF[i], wantF[i]);
          ++failures;
          return;
        }
      }
    }
  }
}

void checkCorrupted(Gen& g, Ir ir) {
  const size_t total = ir.feature.size();
  switch (g.i(0, 11)) {
    case 0: if (total) ir.left[g.i(0, total - 1)] = static_cast<int32_t>(g.i(-3, 40)); break;
    case 1: if (total) ir.right[g.i(0, total - 1)] = static_cast<int32_t>(g.i(-3, 40)); break;
    case 2: if (total) ir.feature[g.i(0, total - 1)] = static_cast<int32_t>(g.i(-2, ir.nf + 2)); break;
    case 3:
      if (total) {
        const size_t k = g.i(0, total - 1);
        ir.flags[k] |= kFlagCategorical;
        ir.catStart[k] = static_cast<int32_t>(g.i(-2, ir.catBits.size() + 2));
        ir.catWords[k] = static_cast<int32_t>(g.i(-2, 1 << 20));
      }
      break;
    case 4: if (!ir.nodeOffset.empty()) ir.nodeOffset[g.i(0, ir.nodeOffset.size() - 1)] += static_cast<int32_t>(g.i(-3, 3)); break;
    case 5: if (!ir.leafValue.empty()) ir.leafValue.pop_back(); break;
    case 6: if (!ir.output.empty()) ir.output[g.i(0, ir.output.size() - 1)] = static_cast<int32_t>(g.i(-2, ir.K + 1)); break;
    case 7: if (ir.linear && !ir.termFeature.empty()) ir.termFeature[g.i(0, ir.termFeature.size() - 1)] = static_cast<int32_t>(g.i(-2, ir.nf + 2)); break;
    case 8: if (ir.linear) ir.termOffset[g.i(0, ir.termOffset.size() - 1)] += static_cast<int32_t>(g.i(-3, 3)); break;
    case 9: ir.nf = g.i(-1, ir.nf + 1); break;
    case 10: ir.T = g.i(-1, ir.T + 1); break;
    default: if (total) { ir.left[g.i(0, total - 1)] = 0; } break;  // cycles to the root
  }
  std::string err;
  auto m = buildModel(ir.spec(), &err);
  if (!m) {
    ++refused;
    if (err.empty()) {
      std::printf("FAIL: refused without a message\n");
      ++failures;
    }
    return;
  }
  // Accepted (the corruption kept it valid): it must score without memory errors.
  ++accepted;
  const size_t rows = 9;
  std::vector<double> x(rows * (ir.nf > 0 ? ir.nf : 0));
  for (double& v : x) v = g.pool();
  std::vector<double> out(rows * m->numMargins);
  scoreRows(*m, Input{x.data(), false}, rows, m->numTrees, out.data(), 2);
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 300;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  Gen g(seed);
  setMinWorkPerThread(1);  // exercise the thread pool on small inputs
  for (int it = 0; it < iterations && failures < 10; ++it) {
    const Ir ir = randomForest(g);
    checkValid(g, ir);
    for (int c = 0; c < 4; ++c) checkCorrupted(g, ir);
  }
  std::printf("%s: %d iterations, %zu values compared, corrupted models: %zu refused, %zu accepted; %d failures\n",
              failures ? "FAILED" : "ok", iterations, compared, refused, accepted, failures);
  return failures ? 1 : 0;
}
