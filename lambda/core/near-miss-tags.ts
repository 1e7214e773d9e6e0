/**
 * Tag keys that look like an opt-out but are not one: `Auto-Stop`, `auto_stop` or `idle-stopper:keep` when the key
 * is `auto-stop`. AWS tag keys are case-sensitive and the stopper reads its keys exactly, so such a tag does nothing,
 * while its owner believes the model is safe. Pointing it out, with the key that would work, is all this does: the
 * decision never changes because of it.
 *
 * A key looks like an opt-out when it is not a key the stopper reads and, compared without case and without the
 * separators `-`, `_`, `.`, `:`, `/`, `+`, `=`, `@` and spaces:
 * 1. it spells a key the stopper reads (`Auto-Stop`, `auto_stop`, `AUTOSTOP`, `auto-stop-idle-minutes`);
 * 2. it starts with the opt-out key, or with the default key `auto-stop` when another is configured
 *    (`auto-stop:never`, `autostop-exempt`, `auto-stop:keep`);
 * 3. it names the stopper itself (`idle-stopper:keep`, `idle-model-stopper`, `model-stopper/skip`);
 * 4. it is one of the usual ways to write "do not stop": `do-not-stop`, `dont-stop`, `no-stop`, `no-auto-stop`,
 *    `keep-running`, `keep-alive`, `always-on`, `stop-exempt`, `skip-stop`.
 * A key the stopper reads is never one, nor is any other key (`team`, `auto-scaling`, `stop-date`).
 */

/** A tag that looks like an opt-out but does nothing, and the key that would work. */
export interface NearMissTag {
  readonly key: string;
  readonly value: string;
  readonly where: "model" | "project";
  /** The key the stopper reads that the tag was most likely meant to be. */
  readonly suggestedKey: string;
  /** A sentence a person understands: what was found, why it does nothing, what to tag instead. */
  readonly note: string;
}

/** The tags of a model and of its project. */
export interface NearMissInput {
  readonly model: Readonly<Record<string, string>>;
  readonly project: Readonly<Record<string, string>>;
}

// Keys that say "do not stop" in the words people use, without separators.
const DO_NOT_STOP_KEYS = new Set([
  "donotstop",
  "dontstop",
  "nostop",
  "noautostop",
  "keeprunning",
  "keepalive",
  "alwayson",
  "stopexempt",
  "skipstop",
]);

// The default opt-out key: a tag written from the README's examples when the deployment configured another key.
const DEFAULT_KEY_FOLDED = "autostop";

// The stopper's own name, as people shorten it.
const STOPPER_NAMES = ["idlemodelstopper", "idlestopper", "modelstopper"];

/** The key without case and separators: `Auto-Stop`, `auto_stop` and `autostop` all read `autostop`. */
export const foldTagKey = (key: string): string => key.toLowerCase().replace(/[\s\-_.:/+=@]/g, "");

/**
 * Every tag of the model and its project that looks like an opt-out but is not a key the stopper reads.
 * @param readKeys the keys the stopper reads, the opt-out key first (see `tagKeysRead` in tag-policy.ts)
 */
export function nearMissTags(tags: NearMissInput, readKeys: readonly string[]): NearMissTag[] {
  const [optOutKey] = readKeys;
  if (optOutKey === undefined) return [];
  const read = new Set(readKeys);
  const folded = new Map(readKeys.map((key) => [foldTagKey(key), key]));
  const optOutFolded = foldTagKey(optOutKey);
  const found: NearMissTag[] = [];
  for (const where of ["model", "project"] as const) {
    for (const [key, value] of Object.entries(tags[where])) {
      if (read.has(key)) continue;
      const keyFolded = foldTagKey(key);
      const spelled = folded.get(keyFolded);
      const looksLike =
        spelled !== undefined ||
        (optOutFolded !== "" && keyFolded.startsWith(optOutFolded)) ||
        keyFolded.startsWith(DEFAULT_KEY_FOLDED) ||
        STOPPER_NAMES.some((name) => keyFolded.includes(name)) ||
        DO_NOT_STOP_KEYS.has(keyFolded);
      if (!looksLike) continue;
      const suggestedKey = spelled ?? optOutKey;
      const why =
        spelled !== undefined
          ? `tag keys are case-sensitive and must match exactly, and the key is ${suggestedKey}`
          : `the opt-out key is ${optOutKey}`;
      const example = suggestedKey === optOutKey ? `${optOutKey}=never` : `${suggestedKey}=${value.trim()}`;
      found.push({
        key,
        value,
        where,
        suggestedKey,
        note: `tag ${key}=${value} on the ${where} looks like an opt-out but does nothing: ${why} (e.g. ${example})`,
      });
    }
  }
  return found;
}
