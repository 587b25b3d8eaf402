/**
 * Finding a PostgreSQL store's change-feed listener from the outside: the `client_port` of the
 * listener connections of the schema in `location` (a test store's URL), as pg_stat_activity
 * shows them. Through a TcpProxy, that is the local port of the proxy's upstream socket.
 */
import pg from 'pg';

export async function listenerPorts(location: string): Promise<number[]> {
  const admin = new pg.Client({ connectionString: location });
  await admin.connect();
  try {
    const r = await admin.query<{ port: number }>(
      `select client_port as port from pg_stat_activity
        where application_name = 'certmint-listener'
          and query = 'LISTEN "certmint_changes_' || current_schema() || '"'`,
    );
    return r.rows.map((row) => row.port);
  } finally {
    await admin.end();
  }
}
