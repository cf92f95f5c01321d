/**
 * The local stack's services and tools name media types from the product's one vocabulary, so a stand-in
 * and the product can never disagree on a spelling.
 */
export { isIndexMediaType, MANIFEST_ACCEPT, MEDIA_TYPES } from '../../packages/nx-plugin/src/types/media-types';
