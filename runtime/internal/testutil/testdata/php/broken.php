<?php
// Does not parse: the start fails with the parse error.
function main_handler($event, $context) {
    return array("a" => ;
}
