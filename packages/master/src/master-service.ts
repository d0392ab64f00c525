/**
 * The MasterService gRPC handlers. A standby master answers NOT_LEADER so that clients
 * move on to the active one; every other failure is an Error in the response.
 */
import type * as grpc from '@grpc/grpc-js';
import { errors, MiniSqlError, principalOf, type CallWithMetadata, type MasterServiceHandlers, type UserDirectory } from '@minisql/common';
import type { CatalogService } from './catalog-service.js';
import type { ClusterView } from './cluster-view.js';
import { clusterStatus, routeOf, tableInfos, type ClusterActivity } from './route-builder.js';

export interface MasterState {
  readonly masterId: string;
  /** True while this master leads. */
  readonly leading: boolean;
  /** Why it does not lead, while on standby. */
  readonly standbyReason: string;
  /** The view last read from etcd; valid while leading. */
  readonly view: ClusterView;
  /** Reads the view from etcd now. */
  refreshView(): Promise<ClusterView>;
  /** Copies and table moves under way. */
  activity(): ClusterActivity;
}

export function masterServiceHandlers(state: MasterState, catalog: CatalogService, users: UserDirectory | undefined): MasterServiceHandlers {
  const ensureLeading = (): void => {
    if (!state.leading) throw errors.notLeader(state.masterId, state.standbyReason);
  };
  /** Runs a handler body; a thrown MiniSqlError becomes the response's error. */
  const answer = <T>(callback: grpc.sendUnaryData<T>, body: () => Promise<T>, onError: (error: MiniSqlError) => T): void => {
    body().then(
      (response) => callback(null, response),
      (thrown) => callback(null, onError(MiniSqlError.from(thrown))),
    );
  };
  /** Every call logs in (a user, or a server of the cluster by its certificate) before it is answered. */
  const loggedIn = (call: CallWithMetadata) => principalOf(call, users);
  const catalogStatement = (call: CallWithMetadata, sql: string) => async () => {
    ensureLeading();
    return { result: await catalog.execute(sql, await loggedIn(call)) };
  };
  return {
    GetRoute(call, callback) {
      answer(
        callback,
        async () => {
          ensureLeading();
          await loggedIn(call);
          const routes = [];
          // The watch may not have delivered a table created a moment ago: look again on a miss.
          const missing = call.request.tables.some((table) => routeOf(state.view, table) instanceof MiniSqlError);
          const view = missing ? await state.refreshView() : state.view;
          for (const table of call.request.tables) {
            const route = routeOf(view, table);
            if (route instanceof MiniSqlError) return { routes, error: route.toProto() };
            routes.push(route);
          }
          return { routes };
        },
        (error) => ({ routes: [], error: error.toProto() }),
      );
    },
    CreateTable(call, callback) {
      answer(callback, catalogStatement(call, call.request.sql), (error) => ({ error: error.toProto() }));
    },
    DropTable(call, callback) {
      const sql = `drop table ${call.request.if_exists ? 'if exists ' : ''}\`${call.request.table.replaceAll('`', '``')}\``;
      answer(callback, catalogStatement(call, sql), (error) => ({ error: error.toProto() }));
    },
    ExecuteCatalogStatement(call, callback) {
      answer(callback, catalogStatement(call, call.request.sql), (error) => ({ error: error.toProto() }));
    },
    ListTables(call, callback) {
      answer(
        callback,
        async () => {
          ensureLeading();
          await loggedIn(call);
          return { tables: tableInfos(state.view) };
        },
        (error) => ({ tables: [], error: error.toProto() }),
      );
    },
    GetClusterStatus(call, callback) {
      answer(
        callback,
        async () => {
          ensureLeading();
          await loggedIn(call);
          return clusterStatus(state.view, state.masterId, state.activity());
        },
        (error) => ({ error: error.toProto() }),
      );
    },
  };
}
