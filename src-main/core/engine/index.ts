/** The engine room: finding and watching an engine, and everything done with its images. */
export * from './types';
export { discoverEngines, listContexts, selectionCandidates, currentContextName, contextCandidate } from './discover';
export { parseEngineHost, normalizeUserHost } from './host';
export { connectEngine, connectFirst, createDocker, negotiateApiVersion, newestApiVersion, apiVersionOf } from './connect';
export type { ConnectedEngine } from './connect';
export { EngineConnection } from './connection';
export type { EngineConnectionOptions } from './connection';
export { listImages, parseFilterArgs } from './images';
export type { ListImagesOptions } from './images';
export { inspectImage, imageHistory, isEmptyLayerStep } from './inspect';
export { tagImage, imagesInUse, removeImages, resolveImageId } from './remove';
export type { RemoveOptions } from './remove';
export { prunePreview, pruneImages, reclaimBytes } from './prune';
export { diskUsage } from './disk-usage';
export { humanSize, humanDuration, humanAgo, shortId } from './format';
