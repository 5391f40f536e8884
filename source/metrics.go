package source

// The metrics wamon gives a place of their own (see the stats payload notes); every other
// metric is kept and listed all the same.
const (
	QueueSize        = "callback_queue_size"                 // callbacks waiting for the webhook
	CallbackCount    = "callback_requests_duration_ms_count" // callbacks by type and result
	CallbackSum      = "callback_requests_duration_ms_sum"   // their total duration, ms
	CallbackCountOld = "callback_requests"                   // older clients: no duration summary
)

// PendingMetrics are shown together as "pending", beside the queue.
var PendingMetrics = []string{"db_pending_callbacks", "db_pending_messages", "in_messages_pending_processing"}
