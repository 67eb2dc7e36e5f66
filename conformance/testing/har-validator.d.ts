/** The part of har-validator (a CommonJS library without types) the tests use: validate a whole HAR 1.2 document. */
declare module 'har-validator' {
  const validator: { har(data: unknown): Promise<unknown> };
  export default validator;
}
