/**
 * Own-key lookups for names that come from outside (a manifest, options, a query parameter, storage, a
 * CLI flag): `record["constructor"]` on a plain object is `Object.prototype.constructor`, not
 * `undefined`, so every such lookup goes through here.
 * @internal
 */

/** The value of `record`'s own property `key`; `undefined` for inherited members such as `constructor`. @internal */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}
