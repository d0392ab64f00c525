/** Routes by table, as the master gave them, until a failure says they are stale. */
import { nameKey, type Route__Output } from '@minisql/common';

export class RouteCache {
  private readonly routes = new Map<string, Route__Output>();

  get(table: string): Route__Output | undefined {
    return this.routes.get(nameKey(table));
  }

  put(route: Route__Output): void {
    this.routes.set(nameKey(route.table), route);
  }

  forget(table: string): void {
    this.routes.delete(nameKey(table));
  }

  clear(): void {
    this.routes.clear();
  }
}
