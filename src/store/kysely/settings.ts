import type { StoreContext } from '../context.ts';
import type { SettingsStore } from '../ports.ts';

export function settingsStore(ctx: StoreContext): SettingsStore {
  const get = async (name: string): Promise<string | null> => {
    const row = await ctx.db
      .selectFrom('settings')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.value ?? null;
  };
  return {
    get,

    /**
     * INSERT … ON CONFLICT DO NOTHING, then read: the primary key decides which of two
     * concurrent first writers wins, and both read the winner's value.
     */
    async putIfAbsent(name, value, now) {
      await ctx.db
        .insertInto('settings')
        .values({ name, value, updated_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const stored = await get(name);
      if (stored === null) throw new Error(`setting ${name} vanished right after it was stored`);
      return stored;
    },

    async put(name, value, now) {
      await ctx.db
        .insertInto('settings')
        .values({ name, value, updated_at: now })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now }))
        .execute();
    },
  };
}
