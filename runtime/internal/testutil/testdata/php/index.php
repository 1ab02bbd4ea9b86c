<?php
// A PHP event function as the platform's documentation writes it:
// index.main_handler, $event and $context are objects.
$invocations = 0;

function main_handler($event, $context) {
    global $invocations;
    $invocations++;
    print "php handler got " . (isset($event->name) ? $event->name : "") . "\n";
    fwrite(STDERR, "php stderr line\n");
    $mode = isset($event->mode) ? $event->mode : "";
    if ($mode === "throw") {
        throw new InvalidArgumentException("boom " . $event->name);
    }
    if ($mode === "exit") {
        print "exiting now\n";
        exit(3);
    }
    return array(
        "event" => $event,
        "request_id" => $context->request_id,
        "function" => $context->function_name,
        "version" => $context->function_version,
        "namespace" => $context->namespace,
        "memory" => $context->memory_limit_in_mb,
        "greeting" => getenv("GREETING"),
        "handler" => getenv("_HANDLER"),
        "mark_hidden" => getenv("_SCF_LOG_MARK") === false,
        "cwd" => getcwd(),
        "invocations" => $invocations,
        "php" => PHP_MAJOR_VERSION,
        "unicode" => "函数",
    );
}
?>
