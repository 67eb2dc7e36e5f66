// Module resolution hook: resolves the workspace packages (@bgr/*) to their TypeScript sources through the
// `bgr-source` export condition, so the repository runs without a build; published packages resolve to dist/.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('bgr-source')
    ? context.conditions
    : [...context.conditions, 'bgr-source'];
  return nextResolve(specifier, { ...context, conditions });
}
