/** The registry client: one place to import pulls, pushes and lookups from. */
export { RegistryClient, type RegistryClientOptions, type Repository, pullScope, pushScope } from './client';
export { getManifest, headManifest, putManifest, resolveDigest, resolveImage, maxManifestBytes, type FetchedManifest, type ResolvedImage } from './manifests';
export { fetchBlob, blobExists, type FetchBlobOptions } from './blobs';
export { downloadBlobToFile, type DownloadResult } from './blob-download';
export { uploadBlob, type UploadBlobOptions, type UploadOutcome } from './upload';
export { listTags } from './tags';
export { searchImages, type SearchResult } from './search';
export { login, logout, loginDomain, verifyCredentials } from './login';
export { getCredentials, storeCredentials, eraseCredentials, dockerConfigPath } from './credentials';
export type { Credentials } from './auth';
export type { RateLimit } from './response-errors';
