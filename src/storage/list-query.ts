import type { SelectQueryBuilder } from 'kysely';
import { sql } from 'kysely';
import { AppError } from '../errors/app-error.js';
import { parseQueryString } from '../query/query-string-parser.js';
import type { QueryFieldMap } from './query-filter.js';
import { compileQueryFilter } from './query-filter.js';

/** Keyfactor's list parameters, as every list endpoint receives them. */
export interface ListRequest {
  queryString?: string | undefined;
  pageReturned?: number | undefined;
  returnLimit?: number | undefined;
  sortField?: string | undefined;
  /** Keyfactor's naming is inverted: 0 means ascending, 1 descending. */
  sortAscending?: 0 | 1 | undefined;
}

export interface ListSpec {
  /** Public field names a caller may filter and sort on, with their columns. */
  fields: QueryFieldMap;
  /** The public field used when the caller names none. */
  defaultSort: string;
  /** A unique column that makes the order total, so pages never overlap or skip rows. */
  tieBreaker: string;
}

export const defaultReturnLimit = 50;

/**
 * Applies a caller's filter, sort and page to a query over the endpoint's whitelist of fields. Values are
 * always bound parameters; unknown fields and bad expressions become a 400 that names them.
 */
export function applyListRequest<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  request: ListRequest,
  spec: ListSpec,
): SelectQueryBuilder<DB, TB, O> {
  let result = query;
  const expression = request.queryString === undefined ? undefined : parseQueryString(request.queryString);
  if (expression !== undefined) result = result.where(compileQueryFilter(expression, spec.fields));

  const sortName =
    request.sortField === undefined || request.sortField === '' ? spec.defaultSort : request.sortField;
  const sortKey = Object.keys(spec.fields).find((name) => name.toLowerCase() === sortName.toLowerCase());
  if (sortKey === undefined) {
    throw new AppError(
      'validation',
      `SortField '${sortName}' is not a field of this list; use one of ${Object.keys(spec.fields).join(', ')}`,
    );
  }
  const field = spec.fields[sortKey];
  const column = field?.column ?? spec.tieBreaker;
  // NULLs sort as SQL Server (Keyfactor's database) sorts them: first when ascending, last when descending.
  // SQLite and PostgreSQL disagree by default, so the order is spelt out, but only for nullable columns:
  // on PostgreSQL an explicit NULL order matches no plain index and would sort every row for each page.
  const descending = request.sortAscending === 1;
  const direction = descending ? 'desc' : 'asc';
  result = (
    field?.nullable === true
      ? result.orderBy(sql.ref(column), (item) =>
          descending ? item.desc().nullsLast() : item.asc().nullsFirst(),
        )
      : result.orderBy(sql.ref(column), direction)
  ).orderBy(sql.ref(spec.tieBreaker), direction);

  const limit = request.returnLimit ?? defaultReturnLimit;
  const page = request.pageReturned ?? 1;
  // The page size is written into the SQL rather than bound: SQLite plans a statement again on every run
  // when its LIMIT is a parameter, which cost a third of a list request. It is a validated integer.
  return result.limit(sql.lit(limit)).offset((page - 1) * limit);
}
