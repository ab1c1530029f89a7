/** The operator's commands of authorities' orders: list them, cancel one. */
import { Command } from 'commander';
import { organisationRef, requireOrganisation } from '../access/organisations.ts';
import { cancelOrder, listOrders } from '../authority/store.ts';
import { withActorOption, withAuditedChange, withDbOptions, withRegister, operatorFor, type ActorOptions, type CliContext, type DbOptions } from './context.ts';
import { emit, UsageError } from './io.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function orderCommands(ctx: CliContext): Command[] {
  const { io } = ctx;
  const order = new Command('order').description("authorities' data orders (OrderData) and their deliveries");

  withDbOptions(order.command('list').description('the orders, newest first, with their deliveries counted'))
    .option('--business-id <id>', "only this authority's orders")
    .option('--limit <n>', 'at most this many (default 100)', '100')
    .action(async (o: DbOptions & { businessId?: string; limit: string; json?: boolean }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be a whole number from 1 to 10000');
      const orders = await withRegister(ctx, o, async (r) => {
        const organisationId = o.businessId ? (await requireOrganisation(r.db, organisationRef('BusinessId', o.businessId))).id : undefined;
        return listOrders(r.db, { ...(organisationId !== undefined ? { organisationId } : {}), limit });
      });
      emit(io, o.json, { orders }, orders.length === 0 ? 'No orders.' : orders.map((x) =>
        `${x.placedAt}  ${x.orderId}  ${x.authority.name} (${x.authority.businessId})  ${x.type} ${x.recurrence}  ${x.state}${x.cancelledBy ? ` by ${x.cancelledBy}` : ''}  deliveries ${x.deliveries} (${x.ready} ready)${x.caseReference ? `  case ${x.caseReference}` : ''}`));
    });

  withActorOption(withDbOptions(order.command('cancel').description('cancel an order: no more deliveries; pending ones are not produced (ready ones stay until they expire)')))
    .requiredOption('--order-id <id>', 'the order id')
    .action(async (o: DbOptions & ActorOptions & { orderId: string; json?: boolean }) => {
      if (!UUID.test(o.orderId)) throw new UsageError('--order-id must be an order id (a UUID)');
      const id = o.orderId.toLowerCase();
      const { actor } = operatorFor(ctx, o);
      const cancelled = await withAuditedChange(ctx, o, 'order cancel', async (tx) => {
        const cancelled = await cancelOrder(tx, id, actor);
        return { result: cancelled, target: id, before: null, after: { cancelled } };
      });
      emit(io, o.json, { cancelled }, cancelled ? 'Order cancelled.' : 'No active order with that id.');
    });
  return [order];
}
