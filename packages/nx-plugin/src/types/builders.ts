/**
 * How an image is built (`docker.builder`): `auto` picks `docker buildx build --load` when buildx is installed,
 * else the classic builder; `buildkit` is `DOCKER_BUILDKIT=1 docker build`.
 */
export const BUILDERS = ['auto', 'buildx', 'buildkit', 'classic'] as const;
export type Builder = (typeof BUILDERS)[number];
