package alias

// Enum value lists (alias-api.md §5). The *_INVALID zero members are not
// listed: the API rejects them.
var (
	SizeUnits           = []string{"SIZE_UNIT_US", "SIZE_UNIT_UK", "SIZE_UNIT_IT", "SIZE_UNIT_FR", "SIZE_UNIT_EU", "SIZE_UNIT_JP"}
	ProductConditions   = []string{"PRODUCT_CONDITION_NEW", "PRODUCT_CONDITION_USED", "PRODUCT_CONDITION_NEW_WITH_DEFECTS"}
	ListingConditions   = []string{"CONDITION_NEW", "CONDITION_USED", "CONDITION_NEW_WITH_DEFECTS"}
	PackagingConditions = []string{"PACKAGING_CONDITION_GOOD_CONDITION", "PACKAGING_CONDITION_MISSING_LID", "PACKAGING_CONDITION_BADLY_DAMAGED", "PACKAGING_CONDITION_NO_ORIGINAL_BOX"}
	ListingDefects      = []string{"LISTING_DEFECT_HAS_ODOR", "LISTING_DEFECT_HAS_DISCOLORATION", "LISTING_DEFECT_HAS_MISSING_INSOLES", "LISTING_DEFECT_HAS_SCUFFS", "LISTING_DEFECT_HAS_TEARS", "LISTING_DEFECT_B_GRADE"}
	ListingStatuses     = []string{"LISTING_STATUS_ACTIVE", "LISTING_STATUS_INACTIVE", "LISTING_STATUS_PENDING", "LISTING_STATUS_SOLD"}
	PictureTypes        = []string{"PICTURE_TYPE_OUTER", "PICTURE_TYPE_INNER", "PICTURE_TYPE_UNDER", "PICTURE_TYPE_TOP", "PICTURE_TYPE_BACK", "PICTURE_TYPE_TAG", "PICTURE_TYPE_PACKAGING", "PICTURE_TYPE_SIZE_TAG", "PICTURE_TYPE_INTERIOR", "PICTURE_TYPE_EXTRA"}
	ListingSortBy       = []string{"SEARCH_LISTING_REQUEST_ORDER_SORT_BY_SIZE", "SEARCH_LISTING_REQUEST_ORDER_SORT_BY_PRICE", "SEARCH_LISTING_REQUEST_ORDER_SORT_BY_UPDATED_AT", "SEARCH_LISTING_REQUEST_ORDER_SORT_BY_CREATED_AT"}
	ListingOrderBy      = []string{"SEARCH_LISTING_REQUEST_ORDER_ORDER_BY_ASC", "SEARCH_LISTING_REQUEST_ORDER_ORDER_BY_DESC"}
	OrderStatuses       = []string{"ORDER_STATUS_CONFIRMED", "ORDER_STATUS_LABEL_GENERATED", "ORDER_STATUS_IN_TRANSIT", "ORDER_STATUS_COMPLETED", "ORDER_STATUS_CANCELED"}
	FulfillmentStatuses = []string{"FULFILLMENT_STATUS_SELLER_SHIPPED", "FULFILLMENT_STATUS_IN_TRANSIT", "FULFILLMENT_STATUS_DELIVERED"}
	LabelTypes          = []string{"LABEL_TYPE_SHIPPING", "LABEL_TYPE_DROPOFF"}
	BatchStatuses       = []string{"BATCH_STATUS_PENDING", "BATCH_STATUS_IN_PROGRESS", "BATCH_STATUS_COMPLETED"}
	BatchOpStatuses     = []string{"BATCH_OPERATION_STATUS_PENDING", "BATCH_OPERATION_STATUS_IN_PROGRESS", "BATCH_OPERATION_STATUS_COMPLETED", "BATCH_OPERATION_STATUS_FAILED"}
)

// Pagers, one per paging resource (alias-api.md §8).
var (
	PagerCatalog = &Pager{
		Name: "catalog", SizeParam: "limit",
		TokenParam: "pagination_token", ItemsField: "catalog_items",
		NextToken: []string{"next_pagination_token"}, HasMore: []string{"has_more"},
	}
	PagerListings = &Pager{
		Name: "listings", SizeParam: "page_size", DefaultSize: 25, MaxSize: 50,
		TokenParam: "pagination_token", ItemsField: "listings",
		NextToken: []string{"pagination", "pagination_token"}, HasMore: []string{"pagination", "has_more"},
	}
	PagerOrders = &Pager{
		Name: "orders", SizeParam: "page_size", DefaultSize: 25, MaxSize: 50,
		TokenParam: "pagination_token", ItemsField: "results",
		NextToken: []string{"pagination", "next_page_token"},
	}
	PagerBatches = &Pager{
		Name:       "batches",
		TokenParam: "pagination_token", ItemsField: "batches",
		NextToken: []string{"next_pagination_token"}, HasMore: []string{"has_more"},
	}
	PagerBatchOperations = &Pager{
		Name: "batch_operations", SizeParam: "limit", DefaultSize: 25, MaxSize: 500,
		TokenParam: "pagination_token", ItemsField: "operations",
		NextToken: []string{"pagination_token"},
	}
)

// Reusable parameter declarations.
func pathID(name string) Param {
	return Param{Name: name, In: InPath, Type: TypeString, Required: true, Description: "resource id"}
}

func q(name string, t Type, required bool, desc string) Param {
	return Param{Name: name, In: InQuery, Type: t, Required: required, Description: desc}
}

func qEnum(name string, required bool, values []string, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeEnum, Required: required, Enum: values, Description: desc}
}

func qRepeated(name string, t Type, required bool, max int64, desc string) Param {
	return Param{Name: name, In: InQuery, Type: t, Required: required, Repeated: true, Max: max, Description: desc}
}

var (
	paramToken    = q("pagination_token", TypeString, false, "token from the previous page")
	paramRegion   = q("region_id", TypeString, false, "region: empty = global, 1 US, 2 Europe, 3 UK")
	paramConsign  = q("consigned", TypeBool, false, "consigned inventory only (true) or not (false); omit for both")
	paramPageSize = Param{Name: "page_size", In: InQuery, Type: TypeInt64, Max: 50, Description: "page size (default 25, max 50)"}
	paramBatchIDs = qRepeated("ids", TypeString, true, 1000, "listing ids (at most 1000)")
)

const (
	listingsPath = PathPrefix + "/listings"
	listingPath  = PathPrefix + "/listings/{id}"
	ordersPath   = PathPrefix + "/orders"
	orderPath    = PathPrefix + "/orders/{id}"
	allListings  = PathPrefix + "/listings*"
)

// listingWrite is what a write to one listing evicts.
var listingWrite = []string{listingPath, listingsPath}

// orderWrite is what a write to one order evicts.
var orderWrite = []string{orderPath, ordersPath}

// Endpoints is the catalog: every documented endpoint (alias-api.md §4).
var Endpoints = []*Endpoint{
	// Test
	{
		Name: "Test", Method: "GET", Path: PathPrefix + "/test", Scope: ScopeTest,
		Summary: "Check that a token works and requests are well formed",
		Cache:   CacheNone,
	},

	// Catalog
	{
		Name: "SearchCatalog", Method: "GET", Path: PathPrefix + "/catalog", Scope: ScopeCatalog,
		Summary: "Search the catalog by brand, name or style code",
		Params: []Param{
			q("query", TypeString, true, "free text: brand, name or style code"),
			q("limit", TypeInt64, false, "page size (default = the maximum)"),
			paramToken,
		},
		Pager: PagerCatalog, Cache: CacheCatalogSearch,
	},
	{
		Name: "GetCatalogItem", Method: "GET", Path: PathPrefix + "/catalog/{id}", Scope: ScopeCatalog,
		Summary: "Get one catalog item by catalog id",
		Params:  []Param{pathID("id")},
		Cache:   CacheCatalogItem,
	},

	// Pricing insights
	{
		Name: "ListAvailabilities", Method: "GET", Path: PathPrefix + "/pricing_insights/availabilities/{catalog_id}", Scope: ScopePricing,
		Summary: "Market data for every size, condition and packaging variant",
		Params:  []Param{pathID("catalog_id"), paramRegion, paramConsign},
		Cache:   CachePricing,
	},
	{
		Name: "GetAvailability", Method: "GET", Path: PathPrefix + "/pricing_insights/availability", Scope: ScopePricing,
		Summary: "Market data for one variant",
		Params: []Param{
			q("catalog_id", TypeString, true, "catalog id"),
			q("size", TypeDouble, true, "US size"),
			qEnum("product_condition", true, ProductConditions, "product condition"),
			qEnum("packaging_condition", true, PackagingConditions, "packaging condition"),
			paramConsign, paramRegion,
		},
		Cache: CachePricing,
	},
	{
		Name: "GetOfferHistogram", Method: "GET", Path: PathPrefix + "/pricing_insights/offer_histogram", Scope: ScopePricing,
		Summary: "How many offers sit at each price, highest first",
		Params: []Param{
			q("catalog_id", TypeString, true, "catalog id"),
			q("size", TypeDouble, true, "US size"),
			qEnum("product_condition", true, ProductConditions, "product condition"),
			qEnum("packaging_condition", true, PackagingConditions, "packaging condition"),
			paramRegion,
		},
		Cache: CachePricing,
	},
	{
		Name: "ListRecentSales", Method: "GET", Path: PathPrefix + "/pricing_insights/recent_sales", Scope: ScopePricing,
		Summary: "Recent sales, newest first",
		Params: []Param{
			q("catalog_id", TypeString, true, "catalog id"),
			q("size", TypeDouble, false, "US size; required in practice (without it the API answers 400)"),
			{Name: "limit", In: InQuery, Type: TypeInt64, Max: 200, Description: "default 10; up to 200 with size and both conditions, else 10"},
			qEnum("product_condition", false, ProductConditions, "product condition"),
			qEnum("packaging_condition", false, PackagingConditions, "packaging condition"),
			paramConsign, paramRegion,
		},
		Cache: CachePricing,
	},

	// Listings
	{
		Name: "SearchListings", Method: "GET", Path: listingsPath, Scope: ScopeListings,
		Summary: "Search your own listings",
		Params: []Param{
			q("search_term", TypeString, false, "SKU, name or listing id"),
			qRepeated("facet_filters", TypeString, false, 0, "e.g. status:active, consigned:true, metadata:key=value"),
			qRepeated("numeric_filters", TypeString, false, 0, "e.g. price_cents >= 1000, size = 7.5"),
			paramPageSize, paramToken,
			qEnum("order.sort_by", false, ListingSortBy, "sort field"),
			qEnum("order.order_by", false, ListingOrderBy, "sort direction"),
		},
		Pager: PagerListings, Cache: CacheListings,
	},
	{
		Name: "CreateListing", Method: "POST", Path: listingsPath, Scope: ScopeListings,
		Summary: "Create one listing",
		Params: []Param{
			q("catalog_id", TypeString, true, "catalog id"),
			q("price_cents", TypeInt64, true, "price in USD cents, whole dollars"),
			qEnum("condition", true, ListingConditions, "listing condition"),
			qEnum("packaging_condition", true, PackagingConditions, "packaging condition"),
			q("size", TypeDouble, true, "size in size_unit (catalog allowed_sizes value)"),
			qEnum("size_unit", true, SizeUnits, "size unit"),
			q("activate", TypeBool, false, "try to go live now; otherwise pending"),
			q("metadata", TypeObject, false, "string map, metadata[key]=value"),
			{Name: "defects", In: InQuery, Type: TypeEnum, Repeated: true, Enum: ListingDefects, Description: "defects"},
			q("additional_defects", TypeString, false, "free text"),
		},
		Invalidates: []string{listingsPath},
	},
	{
		Name: "GetListing", Method: "GET", Path: listingPath, Scope: ScopeListings,
		Summary: "Get one of your listings",
		Params:  []Param{pathID("id")},
		Cache:   CacheListings,
	},
	{
		Name: "UpdateListing", Method: "POST", Path: listingPath, Scope: ScopeListings,
		Summary: "Update a listing; only the fields sent change",
		Params: []Param{
			pathID("id"),
			q("catalog_id", TypeString, false, "catalog id"),
			q("price_cents", TypeInt64, false, "price in USD cents, whole dollars"),
			q("size", TypeDouble, false, "size"),
			qEnum("size_unit", false, SizeUnits, "size unit"),
		},
		Invalidates: listingWrite,
	},
	{
		Name: "DeleteListing", Method: "DELETE", Path: listingPath, Scope: ScopeListings,
		Summary: "Delete a listing", Params: []Param{pathID("id")},
		Invalidates: listingWrite,
	},
	{
		Name: "ActivateListing", Method: "POST", Path: listingPath + "/activate", Scope: ScopeListings,
		Summary: "Activate a listing; fails unless required pictures are uploaded", Params: []Param{pathID("id")},
		Invalidates: listingWrite,
	},
	{
		Name: "DeactivateListing", Method: "POST", Path: listingPath + "/deactivate", Scope: ScopeListings,
		Summary: "Deactivate a listing", Params: []Param{pathID("id")},
		Invalidates: listingWrite,
	},
	{
		Name: "CreateListingMetadata", Method: "POST", Path: listingsPath + "/{listing_id}/metadata", Scope: ScopeListings,
		Summary: "Add metadata keys to a listing",
		Params: []Param{
			pathID("listing_id"),
			{Name: "metadata", In: InQuery, Type: TypeObject, Required: true, Description: "string map, metadata[key]=value"},
		},
		Invalidates: []string{listingsPath + "/{listing_id}", listingsPath},
	},
	{
		Name: "DeleteListingMetadata", Method: "POST", Path: listingsPath + "/{listing_id}/metadata_delete", Scope: ScopeListings,
		Summary:     "Remove metadata keys from a listing",
		Params:      []Param{pathID("listing_id"), qRepeated("keys", TypeString, true, 0, "keys to remove")},
		Invalidates: []string{listingsPath + "/{listing_id}", listingsPath},
	},
	{
		Name: "CreatePicture", Method: "POST", Path: PathPrefix + "/pictures", Scope: ScopeListings,
		Summary: "Upload a picture for a listing (PNG or JPEG)",
		Params: []Param{
			q("listing_id", TypeString, true, "listing id"),
			qEnum("type", true, PictureTypes, "picture type"),
			q("order", TypeInt64, false, "order; > 0 for PICTURE_TYPE_EXTRA, else 1"),
			q("base64_data", TypeString, false, "image bytes, base64 (exactly one of base64_data and url)"),
			q("url", TypeString, false, "image URL (exactly one of base64_data and url)"),
		},
		Invalidates: []string{listingsPath + "/{listing_id}", listingsPath},
	},
	{
		Name: "DeletePicture", Method: "DELETE", Path: PathPrefix + "/pictures/{id}", Scope: ScopeListings,
		Summary: "Delete a picture", Params: []Param{pathID("id")},
		Invalidates: []string{allListings},
	},

	// Orders
	{
		Name: "SearchOrders", Method: "GET", Path: ordersPath, Scope: ScopeOrders,
		Summary: "Search your orders",
		Params: []Param{
			q("query", TypeString, false, "full text"),
			qRepeated("facet_filters", TypeString, false, 0, "status:ORDER_STATUS_… or fulfillment_status:FULFILLMENT_STATUS_… (one facet type per request)"),
			paramPageSize, paramToken,
		},
		Pager: PagerOrders, Cache: CacheOrders,
	},
	{
		Name: "GetOrder", Method: "GET", Path: orderPath, Scope: ScopeOrders,
		Summary: "Get one order", Params: []Param{pathID("id")},
		Cache: CacheOrders,
	},
	{
		Name: "CancelOrder", Method: "POST", Path: orderPath + "/cancel", Scope: ScopeOrders,
		Summary: "Cancel an order", Params: []Param{pathID("id")},
		Invalidates: orderWrite,
	},
	{
		Name: "ConfirmOrder", Method: "POST", Path: orderPath + "/confirm", Scope: ScopeOrders,
		Summary: "Confirm an order (unconfirmed orders risk auto-cancellation)", Params: []Param{pathID("id")},
		Invalidates: orderWrite,
	},
	{
		Name: "GenerateLabel", Method: "POST", Path: orderPath + "/generate_label", Scope: ScopeOrders,
		Summary:     "Generate a shipping label",
		Params:      []Param{pathID("id"), qEnum("label_type", false, LabelTypes, "label type (default shipping)")},
		Invalidates: orderWrite,
	},
	{
		Name: "RegenerateLabel", Method: "POST", Path: orderPath + "/regenerate_label", Scope: ScopeOrders,
		Summary:     "Regenerate a label or switch its type",
		Params:      []Param{pathID("id"), qEnum("label_type", false, LabelTypes, "label type (default current)")},
		Invalidates: orderWrite,
	},
	{
		Name: "ShipOrder", Method: "POST", Path: orderPath + "/ship", Scope: ScopeOrders,
		Summary: "Mark an order shipped", Params: []Param{pathID("id")},
		Invalidates: orderWrite,
	},

	// Batches
	{
		Name: "ListBatches", Method: "GET", Path: listingsPath + "/batch", Scope: ScopeBatch,
		Summary: "List batches, optionally by status",
		Params:  []Param{qEnum("status", false, BatchStatuses, "batch status"), paramToken},
		Pager:   PagerBatches, Cache: CacheBatch,
	},
	{
		Name: "GetBatch", Method: "GET", Path: listingsPath + "/batch/{id}", Scope: ScopeBatch,
		Summary: "Get one batch (the response is not wrapped)", Params: []Param{pathID("id")},
		Cache: CacheBatch,
	},
	{
		Name: "BatchActivateListings", Method: "POST", Path: listingsPath + "/batch_activate", Scope: ScopeBatch,
		Summary: "Activate up to 1000 listings asynchronously", Params: []Param{paramBatchIDs},
		Invalidates: []string{allListings},
	},
	{
		Name: "BatchCreateListings", Method: "POST", Path: listingsPath + "/batch_create", Scope: ScopeBatch,
		Summary: "Create up to 1000 listings asynchronously (JSON body)",
		Params: []Param{{Name: "items", In: InBody, Type: TypeArray, Required: true,
			Description: "[{catalog_id, activate, size_unit, condition, packaging_condition, metadata_list, price_cents, size, quantity}]; sum of quantities ≤ 1000"}},
		Body: true, Invalidates: []string{allListings},
	},
	{
		Name: "BatchDeactivateListings", Method: "POST", Path: listingsPath + "/batch_deactivate", Scope: ScopeBatch,
		Summary: "Deactivate up to 1000 listings asynchronously", Params: []Param{paramBatchIDs},
		Invalidates: []string{allListings},
	},
	{
		Name: "BatchDeleteListings", Method: "DELETE", Path: listingsPath + "/batch_delete", Scope: ScopeBatch,
		Summary: "Delete up to 1000 listings asynchronously", Params: []Param{paramBatchIDs},
		Invalidates: []string{allListings},
	},
	{
		Name: "GetBatchOperationQuota", Method: "GET", Path: listingsPath + "/batch_operation/quota", Scope: ScopeBatch,
		Summary: "Used and maximum concurrent batch operations",
		Cache:   CacheBatch,
	},
	{
		Name: "GetBatchOperations", Method: "GET", Path: listingsPath + "/batch_operations/{id}", Scope: ScopeBatch,
		Summary: "Per-item results of a batch",
		Params: []Param{
			pathID("id"),
			qEnum("status", false, BatchOpStatuses, "operation status"),
			{Name: "limit", In: InQuery, Type: TypeInt64, Max: 500, Description: "page size (default 25, max 500)"},
			paramToken,
		},
		Pager: PagerBatchOperations, Cache: CacheBatch,
	},
	{
		Name: "BatchUpdateListings", Method: "POST", Path: listingsPath + "/batch_update", Scope: ScopeBatch,
		Summary: "Conditionally update up to 1000 listings asynchronously (JSON body)",
		Params: []Param{{Name: "items", In: InBody, Type: TypeArray, Required: true,
			Description: "[{id, price_cents_change?, size_change?, catalog_id_change?}], change = {new_value, conditional_value?, condition_operator}"}},
		Body: true, Invalidates: []string{allListings},
	},
}
