/**
 * The scope of an `authority` permission (access.md "authority with its scope"; our syntax):
 * which order types the authority may place, whether it sees every loan or consumer credit only
 * (HE 43/2025: some authorities may receive consumer-credit data only), and whether identity
 * codes are delivered as they are or replaced by pseudonyms.
 *
 * Stored as `data_permissions.scope` = {"loans": "all" | "consumer", "orders": [types],
 * "identityCodes": "codes" | "pseudonyms"}; granted with
 * `pcr permission grant --permission authority --scope all|consumer --orders A,B --identity-codes codes|pseudonyms`.
 * What is missing is the narrower choice: no orders, consumer credit only is not assumed
 * (loans default to what the operator wrote), identity codes default to pseudonyms.
 */
/** The loans a consumer-credit-only scope covers: consumer credit, housing consumer credit included (not OtherThanConsumerCredit, nor Unknown). */
export const CONSUMER_CLASSES: readonly string[] = ['ConsumerCredit', 'ResidentialPropertyConsumerCredit'];

export const ORDER_TYPES = ['PersonLoans', 'LoanStockSnapshot', 'MonthlyAggregates', 'LateReporting'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export interface AuthorityScope {
  loans: 'all' | 'consumer';
  orders: OrderType[];
  identityCodes: 'codes' | 'pseudonyms';
}

/** The scope as stored, read strictly: anything unknown narrows it. */
export function authorityScope(stored: Record<string, unknown> | undefined): AuthorityScope {
  const s = stored ?? {};
  const orders = Array.isArray(s.orders) ? (s.orders.filter((o) => (ORDER_TYPES as readonly unknown[]).includes(o)) as OrderType[]) : [];
  return {
    loans: s.loans === 'all' ? 'all' : 'consumer',
    orders,
    identityCodes: s.identityCodes === 'codes' ? 'codes' : 'pseudonyms',
  };
}

/** Checks the operator's --scope/--orders/--identity-codes; returns the scope to store or a message. */
export function scopeToGrant(input: { loans?: string; orders?: string[]; identityCodes?: string }): AuthorityScope | string {
  const loans = input.loans ?? 'all';
  if (loans !== 'all' && loans !== 'consumer') return '--scope must be all or consumer';
  const identityCodes = input.identityCodes ?? 'pseudonyms';
  if (identityCodes !== 'codes' && identityCodes !== 'pseudonyms') return '--identity-codes must be codes or pseudonyms';
  const orders = input.orders ?? [];
  const unknown = orders.filter((o) => !(ORDER_TYPES as readonly string[]).includes(o));
  if (unknown.length) return `unknown order type ${unknown.join(', ')} (order types: ${ORDER_TYPES.join(', ')})`;
  return { loans, orders: [...new Set(orders)] as OrderType[], identityCodes };
}
