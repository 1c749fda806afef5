/** Where the API's routes live; the route catalog, the SDK and the CLI share these. */
export const CHATBOOKS_PREFIX = '/api/v1/chatbooks';
export const LIBRARY_PREFIX = '/api/v1/library';
export const OPENAPI_PATH = '/api/v1/openapi.json';
