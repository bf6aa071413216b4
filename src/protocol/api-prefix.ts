/** Where the API lives; its own module so that clients can name it without loading the schemas. */
export const API_PREFIX = "/api/v1";
