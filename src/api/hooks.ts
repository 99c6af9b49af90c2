/**
 * For POST routes whose body is optional: Fastify validates a missing body as undefined, which an object
 * schema refuses, so an absent body becomes {} before validation.
 */
export async function optionalBody(request: { body: unknown }): Promise<void> {
  request.body ??= {};
}
