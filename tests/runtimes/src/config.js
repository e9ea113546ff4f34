// What the contract needs, from environment variables or Worker bindings (the same names in both), so
// every runtime is pointed at the mock m3ter the same way.
export function configFromEnv(env) {
  const need = (name) => {
    const value = env[name]
    if (!value) throw new Error(`${name} is not set`)
    return value
  }
  return {
    accessKeyId: need('M3TER_API_KEY'),
    apiSecret: need('M3TER_API_SECRET'),
    orgId: need('M3TER_ORG_ID'),
    apiUrl: need('M3TER_BASE_URL'),
    ingestUrl: need('M3TER_INGEST_URL'),
    tokenUrl: need('M3TER_TOKEN_URL'),
    foreignUrl: need('CONTRACT_FOREIGN_URL'),
    controlUrl: need('CONTRACT_CONTROL_URL'),
  }
}
