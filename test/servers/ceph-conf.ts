/** What {@link cephConf} fills in. */
export interface CephConfInput {
  readonly fsid: string
  /** The test directory: every path the daemons write goes below it. */
  readonly dir: string
  readonly monPort: number
  readonly rgwPort: number
  /** The radosgw's name without `client.rgw.`, e.g. `gw`. */
  readonly rgwName: string
  /** Extra options for the radosgw's section, e.g. `{ rgw_multipart_min_part_size: 1024 }`. */
  readonly rgwOptions?: Readonly<Record<string, string | number | boolean>>
  /** The OSD's memstore size in bytes (default 1 GiB). */
  readonly memstoreBytes?: number
}

/**
 * The ceph.conf of a throw-away one-node cluster: one mon, one memstore OSD, one radosgw, no auth, no mgr,
 * everything on 127.0.0.1 and every file inside `dir` (nothing under /var or /etc), data in RAM.
 */
export function cephConf(input: CephConfInput): string {
  const { fsid, dir, monPort, rgwPort, rgwName } = input
  const global = {
    fsid,
    // msgr v1 only: one port per daemon, and the mon address below needs no v2 counterpart.
    ms_bind_msgr2: false,
    mon_host: `v1:127.0.0.1:${monPort}`,
    public_addr: '127.0.0.1',
    cluster_addr: '127.0.0.1',
    auth_cluster_required: 'none',
    auth_service_required: 'none',
    auth_client_required: 'none',
    keyring: '/dev/null',
    run_dir: `${dir}/run`,
    admin_socket: `${dir}/run/$name.asok`,
    log_file: `${dir}/log/$name.log`,
    mon_cluster_log_file: `default=${dir}/log/$channel.log cluster=${dir}/log/cluster.log`,
    crash_dir: `${dir}/crash`,
    // One OSD holding one copy of one PG per pool.
    osd_pool_default_size: 1,
    osd_pool_default_min_size: 1,
    mon_allow_pool_size_one: true,
    osd_pool_default_pg_num: 1,
    osd_pool_default_pgp_num: 1,
    osd_pool_default_pg_autoscale_mode: 'off',
    osd_crush_chooseleaf_type: 0,
    // Without these every map change waits ~1 s: radosgw then takes 8-12 s to start and the first bucket
    // and multipart calls ~2 s each.
    paxos_propose_interval: 0.01,
    paxos_min_wait: 0.001,
    // A mon refuses to start when its disk is more than 95% full; this cluster keeps its data in RAM.
    mon_data_avail_crit: 1,
  }
  const sections: Record<string, Record<string, string | number | boolean>> = {
    global,
    mon: { mon_data: `${dir}/mon` },
    osd: {
      osd_data: `${dir}/osd-$id`,
      osd_objectstore: 'memstore',
      memstore_device_bytes: input.memstoreBytes ?? 1 << 30,
      // The OSD's own crush update raced with start-up ("wrong fsid" exits); it is placed by hand instead.
      osd_crush_update_on_start: false,
      osd_class_update_on_start: false,
    },
    [`client.rgw.${rgwName}`]: {
      // Without tcp_nodelay many answers wait a flat 48 ms for the delayed ACK.
      rgw_frontends: `beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1`,
      rgw_data: `${dir}/rgw`,
      ...input.rgwOptions,
    },
  }
  return Object.entries(sections)
    .map(([name, options]) => [`[${name}]`, ...Object.entries(options).map(([key, value]) => `${key} = ${String(value)}`)].join('\n'))
    .join('\n\n')
    .concat('\n')
}
