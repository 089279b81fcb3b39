// grove_native: the thin N-API binding over the native core (forest.h, kernels.h).
//
// The typed TS wrapper (src/engine/native.ts) validates arguments first; every function here checks
// them again and never trusts a length, index or type coming from JS. No C++ exception crosses this
// boundary (node-addon-api runs with NAPI_DISABLE_CPP_EXCEPTIONS; every entry point catches).
//
// Exports (all [sync] unless noted; each throws a JS TypeError/RangeError/Error on bad input):
//   create(spec)                                    -> handle   validates the IR, builds the layout
//   score(handle, x, rows, treeEnd, out)            -> undefined  margins into `out` on this thread
//   scoreAsync(handle, x, rows, treeEnd, threads, out) -> Promise<Float64Array>  [async] off the event
//       loop on `threads` threads; x, out and the handle are pinned until it settles; the caller must
//       not modify x or out meanwhile. Rejects (never throws) for failures during the run.
//   dispose(handle)                                 frees the model; refuses while async runs are active
//   info(handle)                                    -> { layout, nodes, bytes, ... }
//   hardwareConcurrency()                           -> number
//   setMinWorkPerThread(n)                          testing aid (see below)
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "forest.h"
#include "kernels.h"

namespace {

using grove::Model;

// Marks handle objects made by this addon, so a foreign object can never be unwrapped as ours.
const napi_type_tag kForestTag = {0x6a0c3f5e91d24b7bULL, 0xc41e8d2f07a95b63ULL};

struct Handle {
  std::shared_ptr<const Model> model;  // null once disposed
  uint32_t activeRuns = 0;             // async runs in flight (touched on the JS thread only)
  int64_t externalBytes = 0;
};

void FinalizeHandle(napi_env env, void* data, void* /*hint*/) {
  Handle* h = static_cast<Handle*>(data);
  if (h->externalBytes != 0) {
    int64_t ignored = 0;
    napi_adjust_external_memory(env, -h->externalBytes, &ignored);
  }
  delete h;
}

Napi::Value Throw(Napi::Env env, const std::string& msg) {
  Napi::Error::New(env, "grove native: " + msg).ThrowAsJavaScriptException();
  return env.Undefined();
}
Napi::Value ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, "grove native: " + msg).ThrowAsJavaScriptException();
  return env.Undefined();
}
Napi::Value ThrowRange(Napi::Env env, const std::string& msg) {
  Napi::RangeError::New(env, "grove native: " + msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Unwraps a handle (or throws and returns null). Refuses disposed handles unless allowDisposed.
Handle* GetHandle(Napi::Env env, Napi::Value v, bool allowDisposed) {
  if (!v.IsObject()) {
    ThrowType(env, "expected a forest handle");
    return nullptr;
  }
  Napi::Object o = v.As<Napi::Object>();
  bool tagged = false;
  if (napi_check_object_type_tag(env, o, &kForestTag, &tagged) != napi_ok || !tagged) {
    if (!env.IsExceptionPending()) ThrowType(env, "expected a forest handle");
    return nullptr;
  }
  void* p = nullptr;
  if (napi_unwrap(env, o, &p) != napi_ok || p == nullptr) {
    if (!env.IsExceptionPending()) ThrowType(env, "expected a forest handle");
    return nullptr;
  }
  Handle* h = static_cast<Handle*>(p);
  if (!allowDisposed && !h->model) {
    Throw(env, "this forest has been disposed");
    return nullptr;
  }
  return h;
}

struct TypedInfo {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
};

bool GetTyped(Napi::Env env, Napi::Value v, TypedInfo* out) {
  if (!v.IsTypedArray()) return false;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &out->type, &out->length, &out->data, &ab, &offset) != napi_ok) return false;
  if (out->length != 0 && out->data == nullptr) return false;  // detached
  return true;
}

template <class T>
bool SpecArray(Napi::Env env, Napi::Object spec, const char* key, napi_typedarray_type type, const char* typeName,
               grove::View<T>* out) {
  Napi::Value v = spec.Get(key);
  if (env.IsExceptionPending()) return false;
  TypedInfo ti;
  if (!GetTyped(env, v, &ti) || ti.type != type) {
    ThrowType(env, std::string("spec.") + key + " must be a " + typeName);
    return false;
  }
  out->data = static_cast<const T*>(ti.data);
  out->size = ti.length;
  return true;
}

// A JS number that is an integer in [lo, hi].
bool IntegerIn(Napi::Value v, double lo, double hi, double* out) {
  if (!v.IsNumber()) return false;
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || std::trunc(d) != d) return false;
  *out = d;
  return true;
}

bool SpecInt(Napi::Env env, Napi::Object spec, const char* key, double lo, double hi, int64_t* out) {
  Napi::Value v = spec.Get(key);
  if (env.IsExceptionPending()) return false;
  double d;
  if (!IntegerIn(v, lo, hi, &d)) {
    ThrowRange(env, std::string("spec.") + key + " must be an integer in [" + std::to_string(static_cast<int64_t>(lo)) + ", " +
                        std::to_string(static_cast<int64_t>(hi)) + "]");
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowType(env, "create(spec): spec must be an object");
  Napi::Object spec = info[0].As<Napi::Object>();
  grove::ForestSpec s;

  Napi::Value rule = spec.Get("rule");
  if (env.IsExceptionPending()) return env.Undefined();
  if (!rule.IsString()) return ThrowType(env, "spec.rule must be 'xgboost' or 'lightgbm'");
  const std::string r = rule.As<Napi::String>().Utf8Value();
  if (r == "xgboost") s.rule = grove::Rule::XGBoost;
  else if (r == "lightgbm") s.rule = grove::Rule::LightGBM;
  else return ThrowType(env, "spec.rule must be 'xgboost' or 'lightgbm', got '" + r + "'");

  const double big = 9007199254740991.0;
  if (!SpecInt(env, spec, "numFeatures", 0, big, &s.numFeatures) || !SpecInt(env, spec, "numMargins", 0, big, &s.numMargins) ||
      !SpecInt(env, spec, "leafWidth", 0, big, &s.leafWidth) || !SpecInt(env, spec, "treeCount", 0, big, &s.treeCount)) {
    return env.Undefined();
  }
  if (!SpecArray(env, spec, "baseScore", napi_float64_array, "Float64Array", &s.baseScore) ||
      !SpecArray(env, spec, "nodeOffset", napi_int32_array, "Int32Array", &s.nodeOffset) ||
      !SpecArray(env, spec, "output", napi_int32_array, "Int32Array", &s.output) ||
      !SpecArray(env, spec, "weight", napi_float64_array, "Float64Array", &s.weight) ||
      !SpecArray(env, spec, "feature", napi_int32_array, "Int32Array", &s.feature) ||
      !SpecArray(env, spec, "threshold", napi_float64_array, "Float64Array", &s.threshold) ||
      !SpecArray(env, spec, "left", napi_int32_array, "Int32Array", &s.left) ||
      !SpecArray(env, spec, "right", napi_int32_array, "Int32Array", &s.right) ||
      !SpecArray(env, spec, "flags", napi_uint8_array, "Uint8Array", &s.flags) ||
      !SpecArray(env, spec, "catStart", napi_int32_array, "Int32Array", &s.catStart) ||
      !SpecArray(env, spec, "catWords", napi_int32_array, "Int32Array", &s.catWords) ||
      !SpecArray(env, spec, "leafValue", napi_float64_array, "Float64Array", &s.leafValue) ||
      !SpecArray(env, spec, "catBits", napi_uint32_array, "Uint32Array", &s.catBits)) {
    return env.Undefined();
  }
  Napi::Value linear = spec.Get("linear");
  if (env.IsExceptionPending()) return env.Undefined();
  if (!linear.IsNull() && !linear.IsUndefined()) {
    if (!linear.IsObject()) return ThrowType(env, "spec.linear must be an object or null");
    Napi::Object ll = linear.As<Napi::Object>();
    s.hasLinear = true;
    if (!SpecArray(env, ll, "termOffset", napi_int32_array, "Int32Array", &s.termOffset) ||
        !SpecArray(env, ll, "termFeature", napi_int32_array, "Int32Array", &s.termFeature) ||
        !SpecArray(env, ll, "termCoeff", napi_float64_array, "Float64Array", &s.termCoeff) ||
        !SpecArray(env, ll, "constant", napi_float64_array, "Float64Array", &s.constant)) {
      return env.Undefined();
    }
  }
  Napi::Value layout = spec.Get("layout");
  if (env.IsExceptionPending()) return env.Undefined();
  if (layout.IsString()) {
    const std::string l = layout.As<Napi::String>().Utf8Value();
    if (l == "wide") s.forceWide = true;
    else if (l != "auto") return ThrowType(env, "spec.layout must be 'auto' or 'wide'");
  } else if (!layout.IsUndefined()) {
    return ThrowType(env, "spec.layout must be 'auto' or 'wide'");
  }

  std::unique_ptr<Handle> h(new (std::nothrow) Handle());
  if (!h) return Throw(env, "out of memory");
  try {
    std::string error;
    h->model = grove::buildModel(s, &error);
    if (!h->model) return Throw(env, "invalid forest: " + error);
  } catch (const std::bad_alloc&) {
    return Throw(env, "out of memory while building the forest");
  } catch (const std::exception& e) {
    return Throw(env, std::string("failed to build the forest: ") + e.what());
  } catch (...) {
    return Throw(env, "failed to build the forest");
  }
  const int64_t bytes = static_cast<int64_t>(h->model->bytes());

  Napi::Object obj = Napi::Object::New(env);
  if (env.IsExceptionPending()) return env.Undefined();
  if (napi_type_tag_object(env, obj, &kForestTag) != napi_ok) return Throw(env, "cannot tag the forest handle");
  Handle* raw = h.get();
  if (napi_wrap(env, obj, raw, FinalizeHandle, nullptr, nullptr) != napi_ok) return Throw(env, "cannot wrap the forest");
  h.release();  // owned by the JS object now
  int64_t ignored = 0;
  if (napi_adjust_external_memory(env, bytes, &ignored) == napi_ok) raw->externalBytes = bytes;
  return obj;
}

// Checks (x, rows, treeEnd, out) against the model; fills in/outPtr. Throws and returns false if bad.
bool CheckRun(Napi::Env env, const Model& m, Napi::Value xv, Napi::Value rowsV, Napi::Value treeEndV, Napi::Value outV,
              grove::Input* in, uint64_t* rows, uint32_t* treeEnd, double** outPtr) {
  TypedInfo x;
  if (!GetTyped(env, xv, &x) || (x.type != napi_float32_array && x.type != napi_float64_array)) {
    ThrowType(env, "x must be a Float32Array or Float64Array");
    return false;
  }
  double d;
  if (!IntegerIn(rowsV, 0, 9007199254740991.0, &d)) {
    ThrowRange(env, "rows must be a non-negative integer");
    return false;
  }
  const uint64_t r = static_cast<uint64_t>(d);
  if (!IntegerIn(treeEndV, 0, static_cast<double>(m.numTrees), &d)) {
    ThrowRange(env, "treeEnd must be an integer in [0, " + std::to_string(m.numTrees) + "]");
    return false;
  }
  const uint32_t te = static_cast<uint32_t>(d);
  if (m.numFeatures != 0 && r > x.length / m.numFeatures) {
    ThrowRange(env, "x holds " + std::to_string(x.length) + " values, " + std::to_string(r) + " rows of " +
                        std::to_string(m.numFeatures) + " features need more");
    return false;
  }
  TypedInfo o;
  if (!GetTyped(env, outV, &o) || o.type != napi_float64_array) {
    ThrowType(env, "out must be a Float64Array");
    return false;
  }
  if (r > o.length / m.numMargins || o.length != r * m.numMargins) {
    ThrowRange(env, "out holds " + std::to_string(o.length) + " values, expected rows x outputs = " + std::to_string(r) + " x " +
                        std::to_string(m.numMargins));
    return false;
  }
  in->data = x.data;
  in->isF32 = x.type == napi_float32_array;
  *rows = r;
  *treeEnd = te;
  *outPtr = static_cast<double*>(o.data);
  return true;
}

Napi::Value Score(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = GetHandle(env, info[0], false);
  if (!h) return env.Undefined();
  grove::Input in;
  uint64_t rows;
  uint32_t treeEnd;
  double* out;
  if (!CheckRun(env, *h->model, info[1], info[2], info[3], info[4], &in, &rows, &treeEnd, &out)) return env.Undefined();
  try {
    grove::scoreRows(*h->model, in, rows, treeEnd, out, 1);
  } catch (const std::bad_alloc&) {
    return Throw(env, "out of memory while scoring");
  } catch (const std::exception& e) {
    return Throw(env, std::string("scoring failed: ") + e.what());
  } catch (...) {
    return Throw(env, "scoring failed");
  }
  return env.Undefined();
}

class ScoreWorker : public Napi::AsyncWorker {
 public:
  ScoreWorker(Napi::Env env, Handle* h, Napi::Object handleObj, Napi::Object x, Napi::Object out, grove::Input in,
              uint64_t rows, uint32_t treeEnd, unsigned threads, double* outPtr)
      : Napi::AsyncWorker(env, "grove:score"),
        deferred_(Napi::Promise::Deferred::New(env)),
        handle_(h),
        model_(h->model),
        in_(in),
        rows_(rows),
        treeEnd_(treeEnd),
        threads_(threads),
        outPtr_(outPtr) {
    // Pin the handle (so the model outlives the run) and both arrays (so their memory stays valid).
    handleRef_ = Napi::Persistent(handleObj);
    xRef_ = Napi::Persistent(x);
    outRef_ = Napi::Persistent(out);
    ++handle_->activeRuns;
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      grove::scoreRows(*model_, in_, rows_, treeEnd_, outPtr_, threads_);
    } catch (const std::bad_alloc&) {
      SetError("grove native: out of memory while scoring");
    } catch (const std::exception& e) {
      SetError(std::string("grove native: scoring failed: ") + e.what());
    } catch (...) {
      SetError("grove native: scoring failed");
    }
  }

  void OnOK() override {
    --handle_->activeRuns;
    deferred_.Resolve(outRef_.Value());
  }

  void OnError(const Napi::Error& e) override {
    --handle_->activeRuns;
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Handle* handle_;
  std::shared_ptr<const Model> model_;
  Napi::ObjectReference handleRef_;
  Napi::ObjectReference xRef_;
  Napi::ObjectReference outRef_;
  grove::Input in_;
  uint64_t rows_;
  uint32_t treeEnd_;
  unsigned threads_;
  double* outPtr_;
};

Napi::Value ScoreAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = GetHandle(env, info[0], false);
  if (!h) return env.Undefined();
  grove::Input in;
  uint64_t rows;
  uint32_t treeEnd;
  double* out;
  if (!CheckRun(env, *h->model, info[1], info[2], info[3], info[5], &in, &rows, &treeEnd, &out)) return env.Undefined();
  double threads;
  if (!IntegerIn(info[4], 1, 1024, &threads)) return ThrowRange(env, "threads must be an integer in [1, 1024]");
  ScoreWorker* w = new (std::nothrow) ScoreWorker(env, h, info[0].As<Napi::Object>(), info[1].As<Napi::Object>(),
                                                  info[5].As<Napi::Object>(), in, rows, treeEnd, static_cast<unsigned>(threads), out);
  if (!w) return Throw(env, "out of memory");
  if (env.IsExceptionPending()) {
    // A reference or the promise could not be created: undo (the destructor releases the references).
    --h->activeRuns;
    delete w;
    return env.Undefined();
  }
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = GetHandle(env, info[0], true);
  if (!h) return env.Undefined();
  if (h->activeRuns != 0) {
    return Throw(env, "cannot dispose the forest while " + std::to_string(h->activeRuns) + " asynchronous scoring run(s) are in flight");
  }
  h->model.reset();
  if (h->externalBytes != 0) {
    int64_t ignored = 0;
    napi_adjust_external_memory(env, -h->externalBytes, &ignored);
    h->externalBytes = 0;
  }
  return env.Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = GetHandle(env, info[0], false);
  if (!h) return env.Undefined();
  const Model& m = *h->model;
  Napi::Object o = Napi::Object::New(env);
  const char* layout = m.layout == grove::Layout::Compact8 ? "compact8" : m.layout == grove::Layout::WideF ? "wide-f32" : "wide-f64";
  o.Set("layout", layout);
  o.Set("rule", m.rule == grove::Rule::XGBoost ? "xgboost" : "lightgbm");
  o.Set("numFeatures", static_cast<double>(m.numFeatures));
  o.Set("numMargins", static_cast<double>(m.numMargins));
  o.Set("numTrees", static_cast<double>(m.numTrees));
  o.Set("nodes", static_cast<double>(m.totalNodes()));
  o.Set("slowNodes", static_cast<double>(m.slow.size()));
  o.Set("bytes", static_cast<double>(m.bytes()));
  o.Set("activeRuns", static_cast<double>(h->activeRuns));
  return o;
}

Napi::Value HardwareConcurrency(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(grove::hardwareThreads()));
}

// Testing aid: setMinWorkPerThread(n) lowers the work (rows x trees) a thread must get before
// scoreAsync uses it, so threading is exercised on small inputs. Results never depend on it.
Napi::Value SetMinWorkPerThread(const Napi::CallbackInfo& info) {
  double d;
  if (!IntegerIn(info[0], 1, 9007199254740991.0, &d)) return ThrowRange(info.Env(), "work must be a positive integer");
  grove::setMinWorkPerThread(static_cast<uint64_t>(d));
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setMinWorkPerThread", Napi::Function::New(env, SetMinWorkPerThread, "setMinWorkPerThread"));
  exports.Set("create", Napi::Function::New(env, Create, "create"));
  exports.Set("score", Napi::Function::New(env, Score, "score"));
  exports.Set("scoreAsync", Napi::Function::New(env, ScoreAsync, "scoreAsync"));
  exports.Set("dispose", Napi::Function::New(env, Dispose, "dispose"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("hardwareConcurrency", Napi::Function::New(env, HardwareConcurrency, "hardwareConcurrency"));
  return exports;
}

}  // namespace

NODE_API_MODULE(grove_native, Init)
