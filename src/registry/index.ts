/** The model registry: repository scan, bundle loading with self-check, versions, labels, reload. */
export { Registry } from './registry.js';
export type {
  Lease,
  ModelStatus,
  RegistryOptions,
  ReloadOutcome,
  ReloadScope,
  ServedVersion,
  VersionState,
  VersionStatus,
} from './registry.js';
export { BundleError, ManifestSchema, MANIFEST_FILE, parseManifest } from './manifest.js';
export type { Manifest, ManifestFormat, SelfCheck } from './manifest.js';
export { LoadError, loadBundle, readBundle, Fingerprinter } from './bundle.js';
export type { LoadBundleOptions, LoadedBundle, LoadStep } from './bundle.js';
export { CONFIG_FILE, parseModelConfig, aspiredVersions, describePolicy, parseSelector } from './policy.js';
export type { ModelConfig, VersionPolicy, Selector } from './policy.js';
export { scanRoot, scanModel } from './scanner.js';
export type { ScanResult, ScannedModel } from './scanner.js';
