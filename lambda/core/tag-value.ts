/**
 * Reading one tag by its key. AWS allows tag keys such as `__proto__`, `constructor` or `toString`, and on a plain
 * object `tags[key]` reads Object.prototype's member for such a key when the tag is absent (a function or an object,
 * not a string). Every tag the stopper reads goes through here, so any key means only the tag of that key.
 */

/** The tag's value when `tags` has the key as its own, undefined otherwise. */
export function tagValue(tags: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(tags, key) ? tags[key] : undefined;
}
