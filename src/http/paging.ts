import type { ListRequest } from '../storage/list-query.js';

/** The route-side mapping from Keyfactor's query parameters to a ListRequest. */
export function listRequestFromQuery(query: {
  QueryString?: string;
  PageReturned?: number;
  ReturnLimit?: number;
  SortField?: string;
  SortAscending?: 0 | 1;
}): ListRequest {
  return {
    queryString: query.QueryString,
    pageReturned: query.PageReturned,
    returnLimit: query.ReturnLimit,
    sortField: query.SortField,
    sortAscending: query.SortAscending,
  };
}
