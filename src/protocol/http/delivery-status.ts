/**
 * A failed delivery to the application (upstream mode) as the gateway's status, the same for every
 * protocol: 504 when the application did not answer in time, 503 when too many deliveries are under way,
 * 502 otherwise (unreachable, or a 5xx of its own). `reason` is a `DeliveryFailure`; anything else is 502.
 */
export function deliveryStatus(reason: string): number {
  if (reason === 'timeout') return 504
  return reason === 'busy' ? 503 : 502
}
