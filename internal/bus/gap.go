package bus

// A Gap is committed traffic this node may have missed: a cluster bus lost
// it (a NATS outage, a slow consumer) but the database has it, so the
// realtime side recovers by replaying from the store. The in-process bus
// never reports one.
type Gap struct {
	Org  int64 // the organisation; 0: any organisation (the bus connection was lost)
	From int64 // first seq that may be missing; 0 when unknown
	To   int64 // last seq that may be missing; 0 when unknown (up to the store's latest)
}
